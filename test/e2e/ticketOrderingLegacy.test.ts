// Late, out-of-order and concurrent ticket events on the legacy Defender API (the suite is in ticketOrdering.ts).
import { ticketOrderingSuite } from './ticketOrdering';

ticketOrderingSuite('legacy');
