// Notify and write back through the host on DEFENDER_API=legacy (cases in notifyCases.ts; a file of its own: the
// host keeps one configuration per test process).
import { describeNotify } from './notifyCases';

describeNotify('legacy');
