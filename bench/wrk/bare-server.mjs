// The yardstick for the hot path: a bare node:http server that reads the request body and
// answers fixed bytes. Usage: node bench/wrk/bare-server.mjs <port> <file with answer bytes>
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const [port = '18900', file] = process.argv.slice(2);
const body = file ? readFileSync(file) : Buffer.from('{"status_code":0,"status_msg":"success","data":[]}');
createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
}).listen(Number(port), '127.0.0.1');
