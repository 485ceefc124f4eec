// Journeys on the Graph security API (DEFENDER_API=graph): see defineJourneys.ts.
import { defineJourneys } from './defineJourneys';

defineJourneys('graph');
