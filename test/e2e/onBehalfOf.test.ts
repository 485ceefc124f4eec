// On behalf of the caller through the Function host on the Graph security API (onBehalfOfCases.ts).
import { describeOnBehalfOf } from './onBehalfOfCases';

describeOnBehalfOf('graph');
