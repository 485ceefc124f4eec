import { measureWebhookAccept } from '../webhookAccept';
measureWebhookAccept().then((r) => console.log(JSON.stringify(r, null, 1))).catch((e) => { console.error((e as Error).message); process.exit(1); });
