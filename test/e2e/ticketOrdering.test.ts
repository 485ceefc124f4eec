// Late, out-of-order and concurrent ticket events on the Graph API (the suite is in ticketOrdering.ts).
import { ticketOrderingSuite } from './ticketOrdering';

ticketOrderingSuite('graph');
