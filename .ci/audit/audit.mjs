// Audits a running Tessera server with graphql-http's serverAudits.
// Every MUST audit has to pass; SHOULD and MAY audits that do not pass are
// listed with their reason, and must be explained in the README.
// usage: node audit.mjs http://127.0.0.1:18181/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs URL');
  process.exit(2);
}

let failedMust = 0;
const notes = [];
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const level = audit.name.split(' ')[0];
  if (result.status === 'ok') {
    console.log(`ok    ${audit.name}`);
    continue;
  }
  const line = `${result.status.padEnd(5)} ${audit.name}: ${result.reason}`;
  console.log(line);
  if (level === 'MUST') failedMust += 1;
  else notes.push(line);
}
console.log(`\n${failedMust} MUST audit(s) failed; ${notes.length} SHOULD/MAY audit(s) not passed`);
process.exit(failedMust > 0 ? 1 : 0);
