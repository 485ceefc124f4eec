// Run outcomes mapped to HTTP statuses on the legacy Defender API: see runStatusCases.ts.
import { describeRunStatuses } from './runStatusCases';

describeRunStatuses('legacy');
