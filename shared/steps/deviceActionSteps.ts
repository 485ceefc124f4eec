// The device-action steps (issue 14 item 2): one per MDE machine action, built by deviceAction.ts. Body values per
// response-actions.md §1.2: IsolationType Full | Selective | UnManagedDevice, ScanType Quick | Full, Sha1 (SHA-1
// only).
import { InputError } from '../errors';
import { ISOLATION_TYPES, SCAN_TYPES } from '../mde/types';
import { enumOf } from './alertCommon';
import { deviceActionStep } from './deviceAction';

export const isolateDevice = deviceActionStep({
  fields: ['isolationType'],
  destructive: 'isolate device',
  request: (obj) => ({ type: 'Isolate', isolationType: enumOf(obj, 'isolationType', ISOLATION_TYPES) ?? 'Full' }),
});

export const releaseDevice = deviceActionStep({ request: () => ({ type: 'Unisolate' }) });

export const runAntivirusScan = deviceActionStep({
  fields: ['scanType'],
  request: (obj) => ({ type: 'RunAntiVirusScan', scanType: enumOf(obj, 'scanType', SCAN_TYPES) ?? 'Quick' }),
});

export const collectInvestigationPackage = deviceActionStep({
  request: () => ({ type: 'CollectInvestigationPackage' }),
});

export const restrictAppExecution = deviceActionStep({
  destructive: 'restrict app execution',
  request: () => ({ type: 'RestrictCodeExecution' }),
});

export const unrestrictAppExecution = deviceActionStep({ request: () => ({ type: 'UnrestrictCodeExecution' }) });

export const stopAndQuarantineFile = deviceActionStep({
  fields: ['sha1'],
  destructive: 'stop and quarantine a file',
  request: (obj) => {
    if (typeof obj.sha1 !== 'string' || !/^[0-9a-f]{40}$/i.test(obj.sha1.trim()))
      throw new InputError('sha1', 'sha1 must be a SHA-1 hash (40 hex digits): the action takes SHA-1 only');
    return { type: 'StopAndQuarantineFile', sha1: obj.sha1.trim().toLowerCase() };
  },
});
