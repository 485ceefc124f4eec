import https from 'node:https';
import axios from '/work/main/node_modules/axios';
import { startStack, fetchGraphToken, incidentIds } from '/work/main/bench/stack';
import { createHttpsAgent, loadCaBundle } from '/work/main/shared/http/tls';
import tls from 'node:tls';
import { median } from '/work/main/bench/stats';
(async () => {
  const s = await startStack({ azurite: false });
  const ids = incidentIds(s.sandbox);
  const token = await fetchGraphToken(s.sandbox);
  let conns = 0;
  const mk = (agent: https.Agent, extra: object = {}) => axios.create({ baseURL: s.sandbox.graphBaseUrl, httpsAgent: agent, headers: { Authorization: `Bearer ${token}` }, ...extra });
  const variants: Record<string, ReturnType<typeof mk>> = {
    plain: mk(new https.Agent({ keepAlive: true, ca: s.sandbox.caPem })),
    riposteAgent: mk(createHttpsAgent(loadCaBundle(s.sandbox.caFile))),
    riposteAgentNoRedirect: mk(createHttpsAgent(loadCaBundle(s.sandbox.caFile)), { maxRedirects: 0, timeout: 30000 }),
    plainNoRedirectTimeout: mk(new https.Agent({ keepAlive: true, ca: s.sandbox.caPem }), { maxRedirects: 0, timeout: 30000 }),
    secureCtx: mk(new https.Agent({ keepAlive: true, maxSockets: 16, secureContext: tls.createSecureContext({ ca: loadCaBundle(s.sandbox.caFile) }) }), { maxRedirects: 0, timeout: 30000 }),
    plainNoRedirect: mk(new https.Agent({ keepAlive: true, ca: s.sandbox.caPem }), { maxRedirects: 0 }),
  };
  for (const [name, c] of Object.entries(variants)) {
    const agent = c.defaults.httpsAgent as https.Agent;
    agent.on('free', () => {});
    const origCreate = (agent as any).createConnection.bind(agent);
    (agent as any).createConnection = (...a: any[]) => { conns++; return origCreate(...a); };
    conns = 0;
    const xs: number[] = [];
    for (let i = 0; i < 200; i++) { const t = performance.now(); await c.patch(`/security/incidents/${ids[i % ids.length]}`, { assignedTo: `a${i}@x.com` }); xs.push(performance.now() - t); }
    console.log(name.padEnd(26), median(xs).toFixed(3), 'connections', conns);
  }
  await s.close();
})();
