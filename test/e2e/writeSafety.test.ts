// Retries, repeats and failed writes over HTTP on the graph Defender API: see writeSafetyCases.ts.
import { describeWriteSafety } from './writeSafetyCases';

describeWriteSafety('graph');
