// Runs in a worker thread: moves committed WAL pages into the database file (a PASSIVE checkpoint) on its own
// connection, so the thread that serves clients never stalls for the copy and its fsync. Plain JavaScript:
// it needs nothing from the TypeScript sources.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next round tries again.
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.postMessage('stopped');
});
