// The status-code contract on the legacy Defender XDR API (the suite is in statusContractSuite.ts).
import { statusContractSuite } from './statusContractSuite';

statusContractSuite('legacy');
