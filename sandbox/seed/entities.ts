// The sandbox's fictional tenant: the devices, users, addresses and files that both the seed incidents and the
// seed hunting tables refer to, so that hunting queries built from an incident's entities find rows.
// All addresses are from the documentation ranges (RFC 5737) and all domains are contoso/fabrikam examples.

export const SANDBOX_TENANT_ID = '8f2b6c1e-4d3a-4b7e-9c5f-1a2b3c4d5e6f';
export const SANDBOX_CLIENT_ID = '5e1c9a7b-2f4d-4e8a-b6c3-9d0e1f2a3b4c';
export const SANDBOX_SECRET_NAME = 'riposte-client-secret';

export const devices = [
  {
    deviceId: '7f3a1c2e9b8d4f60a1b2c3d4e5f60718a4c2e6f1',
    deviceName: 'ws-fin-042.contoso.local',
    /** The Entra device id (machine aadDeviceId, DeviceInfo AadDeviceId, evidence azureAdDeviceId); null: not joined. */
    aadDeviceId: '4c1d8e2a-7b3f-4e9a-9d6c-2f8a1b5e7c30',
    os: 'Windows11',
    publicIp: '203.0.113.45',
  },
  {
    deviceId: '1a2b3c4d5e6f708192a3b4c5d6e7f801b5d3f702',
    deviceName: 'srv-sql-01.contoso.local',
    aadDeviceId: null,
    os: 'WindowsServer2022',
    publicIp: '203.0.113.10',
  },
  {
    deviceId: '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4bc6e40813',
    deviceName: 'ws-hr-007.contoso.local',
    aadDeviceId: '6e3f0a4c-9d5b-4a1c-8f8e-4b0c3d7a9e52',
    os: 'Windows10',
    publicIp: '203.0.113.77',
  },
  {
    deviceId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0d7f51924',
    deviceName: 'mac-dev-113.contoso.local',
    aadDeviceId: '8a5b2c6e-1f7d-4c3e-a0b9-6d2e5f9c1b74',
    os: 'macOS',
    publicIp: '203.0.113.91',
  },
] as const;

export const users = [
  {
    upn: 'amy.wong@contoso.com',
    accountName: 'amy.wong',
    objectId: 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    displayName: 'Amy Wong',
  },
  {
    upn: 'raj.patel@contoso.com',
    accountName: 'raj.patel',
    objectId: 'c4e2d3f5-6a7b-4c8d-9e0f-1a2b3c4d5e6f',
    displayName: 'Raj Patel',
  },
  {
    upn: 'svc-backup@contoso.com',
    accountName: 'svc-backup',
    objectId: 'd5f3e4a6-7b8c-4d9e-8f1a-2b3c4d5e6f70',
    displayName: 'Backup Service',
  },
  {
    upn: 'lena.fischer@contoso.com',
    accountName: 'lena.fischer',
    objectId: 'e6a4f5b7-8c9d-4e0f-9a2b-3c4d5e6f7081',
    displayName: 'Lena Fischer',
  },
] as const;

/** Attacker-side addresses seen in the seed data. */
export const maliciousIps = ['198.51.100.23', '198.51.100.77', '192.0.2.140'] as const;

export const analysts = ['secops1@contoso.com', 'secops2@contoso.com', 'tier2@contoso.com'] as const;

export const files = [
  {
    fileName: 'invoice_2026.pdf.exe',
    sha1: '3395856ce81f2b7382dee72602f798b642f14140',
    sha256: '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f',
  },
  {
    fileName: 'mimikatz.exe',
    sha1: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4',
    sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
  },
] as const;

export const phishingSender = 'billing@fabrikam-payments.example';
