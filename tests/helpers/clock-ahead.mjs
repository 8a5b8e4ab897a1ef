// Preloaded with `node --import`: this process's Date.now() runs TRADEPIPE_TEST_CLOCK_AHEAD_MS ahead,
// so a lock another process refreshed a moment ago looks as old as that to it (a holder stalled that long).
const ahead = Number(process.env.TRADEPIPE_TEST_CLOCK_AHEAD_MS ?? 0);
const now = Date.now;
Date.now = () => now() + ahead;
