// Run outcomes mapped to HTTP statuses on the graph Defender API: see runStatusCases.ts.
import { describeRunStatuses } from './runStatusCases';

describeRunStatuses('graph');
