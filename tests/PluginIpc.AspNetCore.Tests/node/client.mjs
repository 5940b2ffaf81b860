// A Node.js client of the PluginIpc gateway: JSON-RPC 2.0 over WebSocket with the json-rpc-2.0 and ws packages from npm.
// Usage: node client.mjs <ws url> <bearer token>. Prints one line per step; exit code 0 when all steps ran, 1 otherwise.
import WebSocket from "ws";
import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from "json-rpc-2.0";

const [url, token] = process.argv.slice(2);
if (!url || !token) {
  console.error("usage: node client.mjs <ws url> <bearer token>");
  process.exit(2);
}

const fail = (reason) => {
  console.log(`failed: ${reason?.stack ?? reason}`);
  process.exit(1);
};
setTimeout(() => fail("no end within 20 s"), 20000).unref();

const socket = new WebSocket(url, { headers: { Authorization: `Bearer ${token}` } });
const peer = new JSONRPCServerAndClient(
  new JSONRPCServer(),
  new JSONRPCClient((request) => socket.send(JSON.stringify(request))));

// Pushed bus messages are JSON-RPC notifications from the gateway: the library's server side takes them.
let pushed;
const firstPush = new Promise((resolve) => { pushed = resolve; });
peer.addMethod("$/message", (message) => pushed(message));

socket.on("message", (data) => peer.receiveAndSend(JSON.parse(data.toString()), undefined, undefined));
socket.on("close", (code) => peer.rejectAllPendingRequests(`closed with ${code}`));
socket.on("error", fail);
await new Promise((resolve) => socket.once("open", resolve));
console.log("connected");

const echoed = await peer.request("echo/echo", ["hello from node"]);
console.log(`call: ${JSON.stringify(echoed)}`);

const batch = await peer.client.requestAdvanced([
  { jsonrpc: "2.0", id: 101, method: "echo/echo", params: ["one"] },
  { jsonrpc: "2.0", id: 102, method: "echo/IGreeter.Move", params: [{ X: 1, Y: 2 }, 3, 4] },
  { jsonrpc: "2.0", id: 103, method: "echo/nothing" },
]);
batch.sort((a, b) => a.id - b.id);
console.log(`batch: ${batch.map((r) => `${r.id}=${JSON.stringify(r.result ?? r.error.data.code)}`).join(" ")}`);

const subscribed = await peer.request("$/subscribe", { topic: "node.news" });
console.log(`subscribe: ${subscribed}`);
await peer.request("probe/publish", ["node.news|published by the probe plugin"]);
const message = await firstPush;
console.log(`push: topic=${message.topic} payload=${JSON.stringify(message.payload)} publisher=${message.publisher}`);

try {
  await peer.request("echo/fail", ["from node"]);
  fail("echo/fail answered a result");
} catch (error) {
  console.log(`error: code=${error.code} data.code=${error.data?.code} message=${JSON.stringify(error.message)}`);
}

socket.close(1000, "done");
console.log("done");
