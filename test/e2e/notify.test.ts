// Notify and write back through the host on DEFENDER_API=graph (cases in notifyCases.ts).
import { describeNotify } from './notifyCases';

describeNotify('graph');
