// Device actions through the Function host on the Graph API (deviceActionCases.ts).
import { describeDeviceActions } from './deviceActionCases';

describeDeviceActions('graph');
