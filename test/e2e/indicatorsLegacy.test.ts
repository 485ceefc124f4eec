// The indicator steps over HTTP through the Function host with DEFENDER_API=legacy: indicators are on the MDE API
// host whichever backend serves incidents (cases: indicatorCases.ts; one host configuration per test process).
import { indicatorCases } from './indicatorCases';

indicatorCases('legacy');
