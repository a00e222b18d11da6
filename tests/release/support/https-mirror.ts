import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

export interface HttpsMirror {
  /** https://127.0.0.1:PORT/ */
  url: string;
  /** The CA that signed the server's certificate: what SSL_CERT_FILE names. */
  caFile: string;
  /** Paths requested, in order. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A test certificate authority and a server certificate for 127.0.0.1 signed by it, made with
 * openssl in `dir`. Terraform and OpenTofu trust the CA through SSL_CERT_FILE.
 */
function makeCertificates(dir: string): { caFile: string; keyFile: string; certFile: string } {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=nestedvirt test CA",
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
    "-subj",
    "/CN=127.0.0.1",
  );
  fs.writeFileSync(file("server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.pem",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "server.pem",
    "-days",
    "1",
    "-extfile",
    "server.ext",
  );
  return { caFile: file("ca.pem"), keyFile: file("server.key"), certFile: file("server.pem") };
}

/** Serves the files under `root` over HTTPS on 127.0.0.1 (a free port), as a provider network mirror. */
export async function startHttpsMirror(root: string, certificateDir: string): Promise<HttpsMirror> {
  const { caFile, keyFile, certFile } = makeCertificates(certificateDir);
  const requests: string[] = [];
  const server = https.createServer(
    { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) },
    (request, response) => {
      const urlPath = decodeURIComponent(new URL(request.url ?? "/", "https://127.0.0.1").pathname);
      requests.push(urlPath);
      const file = path.join(root, path.normalize(urlPath));
      if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, {
        "content-type": file.endsWith(".json") ? "application/json" : "application/zip",
        "content-length": fs.statSync(file).size,
      });
      fs.createReadStream(file).pipe(response);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    caFile,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
