// SPDX-License-Identifier: Apache-2.0
// The benchmark's OpenID provider: oauth2-mock-server on 127.0.0.1 with one
// RSA signing key. Its command line would name the issuer "localhost"; this
// sets it to http://127.0.0.1:<port> so that every URL in the discovery
// document stays on 127.0.0.1. Prints the issuer URL on one line once it
// listens; stops on SIGTERM.
import { OAuth2Server } from 'oauth2-mock-server';

const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
await server.start(Number(process.argv[2] || 0), '127.0.0.1');
server.issuer.url = `http://127.0.0.1:${server.address().port}`;
console.log(server.issuer.url);
