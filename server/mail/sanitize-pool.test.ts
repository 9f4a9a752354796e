import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SanitizePool } from './sanitize-pool.ts';

describe('SanitizePool', () => {
  it('sanitizes large bodies in a worker while this thread stays responsive', async () => {
    const pool = new SanitizePool();
    const html = `<div onclick="x()"><img src="cid:Logo@x">${'<span>word</span> '.repeat(150_000)}<script>alert(1)</script></div>`;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = Date.now();
    const out = await pool.sanitize(html, { 'logo@x': '/api/cid/logo' });
    const elapsed = Date.now() - started;
    clearInterval(timer);
    await pool.close();
    assert.doesNotMatch(out, /<script|onclick/);
    assert.match(out, /<img src="\/api\/cid\/logo"/);
    assert.equal(out.match(/<span>word<\/span>/g)?.length, 150_000);
    // The timer kept firing during the work: the event loop was never blocked for its whole length.
    assert.ok(ticks >= Math.floor(elapsed / 10 / 4), `only ${ticks} ticks in ${elapsed} ms`);
  });

  it('sanitizes small bodies directly and still works after close', async () => {
    const pool = new SanitizePool();
    assert.equal(await pool.sanitize('<b onmouseover="x">hi</b>', {}), '<b>hi</b>');
    await pool.close();
    assert.equal(await pool.sanitize(`<i>${'a'.repeat(100_000)}</i><script>x</script>`, {}), `<i>${'a'.repeat(100_000)}</i>`);
  });
});
