// Asynchronous workflow runs (202 + Location, continued on the queue) on the legacy Defender API: see asyncRunCases.ts.
import { describeAsyncRuns } from './asyncRunCases';

describeAsyncRuns('legacy');
