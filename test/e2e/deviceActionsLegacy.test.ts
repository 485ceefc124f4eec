// Device actions through the Function host on the legacy API (deviceActionCases.ts): the MDE API is the same.
import { describeDeviceActions } from './deviceActionCases';

describeDeviceActions('legacy');
