// Asynchronous workflow runs (202 + Location, continued on the queue) on the graph Defender API: see asyncRunCases.ts.
import { describeAsyncRuns } from './asyncRunCases';

describeAsyncRuns('graph');
