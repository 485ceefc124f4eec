// The status-code contract on the Graph security API (the suite is in statusContractSuite.ts).
import { statusContractSuite } from './statusContractSuite';

statusContractSuite('graph');
