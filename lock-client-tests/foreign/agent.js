// Holds node-redlock locks for the interop tests: one command a line on stdin, one answer a
// line on stdout ("ok", "no" or "error ...").
//
//   redlock NAME TTL_MS   node-redlock (v4) on the key NAME, one attempt
//   release               releases the lock taken last
const readline = require("readline");
const Redis = require("ioredis");
const Redlock = require("redlock");

const client = new Redis({ host: "127.0.0.1", port: Number(process.argv[2]) });
const redlock = new Redlock([client], { retryCount: 0 });
let held = null;

readline.createInterface({ input: process.stdin }).on("line", async (line) => {
  const [command, name, ttl] = line.split(" ");
  try {
    if (command === "redlock") {
      try {
        held = await redlock.lock(name, Number(ttl));
        console.log("ok");
      } catch (e) {
        if (e instanceof Redlock.LockError) console.log("no");
        else throw e;
      }
    } else if (command === "release") {
      await held.unlock();
      held = null;
      console.log("ok");
    } else {
      throw new Error(`unknown command ${command}`);
    }
  } catch (e) {
    console.log(`error ${String(e).replace(/\n/g, " ")}`);
  }
}).on("close", () => client.disconnect());
