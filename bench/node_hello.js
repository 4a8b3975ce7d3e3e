// Node's side of the HTTP benchmark: hello world with the http module; prints its port.
const http = require("http");
const server = http.createServer((req, res) => res.end("Hello, World!"));
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
