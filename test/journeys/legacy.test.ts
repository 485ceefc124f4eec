// Journeys on the legacy Defender XDR API (DEFENDER_API=legacy): see defineJourneys.ts.
import { defineJourneys } from './defineJourneys';

defineJourneys('legacy');
