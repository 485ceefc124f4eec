// On behalf of the caller through the Function host on the legacy Defender XDR API (onBehalfOfCases.ts).
import { describeOnBehalfOf } from './onBehalfOfCases';

describeOnBehalfOf('legacy');
