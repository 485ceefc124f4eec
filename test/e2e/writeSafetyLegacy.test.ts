// Retries, repeats and failed writes over HTTP on the legacy Defender API: see writeSafetyCases.ts.
import { describeWriteSafety } from './writeSafetyCases';

describeWriteSafety('legacy');
