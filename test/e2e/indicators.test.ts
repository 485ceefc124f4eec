// The indicator steps over HTTP through the Function host with DEFENDER_API=graph (cases: indicatorCases.ts).
import { indicatorCases } from './indicatorCases';

indicatorCases('graph');
