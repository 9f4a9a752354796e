import { parseMessageSync } from './parse.ts';
function run(label: string, raw: Buffer) {
  const before = process.memoryUsage();
  const t = performance.now();
  const m = parseMessageSync(raw);
  const ms = performance.now() - t;
  const after = process.memoryUsage();
  console.log(label, (raw.length / 1e6).toFixed(1), 'MB', ms.toFixed(0), 'ms', 'heap+', ((after.heapUsed - before.heapUsed) / 1e6).toFixed(0), 'MB rss', (after.rss / 1e6).toFixed(0), 'searchText', m.searchText.length);
}
run('divs', Buffer.from('Content-Type: text/html\r\n\r\n' + '<div>'.repeat(2_000_000)));
run('divs-text', Buffer.from('Content-Type: text/html\r\n\r\n' + '<div>x'.repeat(2_000_000)));
run('attrs', Buffer.from('Content-Type: text/html\r\n\r\n<a ' + 'x="y" '.repeat(1_000_000) + '>'));
run('comment', Buffer.from('Content-Type: text/html\r\n\r\n<!--' + 'a'.repeat(10_000_000)));
run('longline', Buffer.from('Subject: ' + 'a'.repeat(20_000_000) + '\r\n\r\nx'));
run('dashes', Buffer.from('Content-Type: multipart/mixed; boundary=b\r\n\r\n' + ('--' + 'c'.repeat(1100) + '\r\n').repeat(20_000)));
run('qp-text', Buffer.from('Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' + '=41=\r\n'.repeat(3_000_000)));
run('encwords', Buffer.from('Subject: ' + '=?utf-8?q?a?= '.repeat(1_000_000) + '\r\n\r\nx'));
run('refs', Buffer.from('References: ' + '<a@b> '.repeat(1_000_000) + '\r\n\r\nx'));
