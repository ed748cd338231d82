// Certificates as the admin API takes them: "x509Base64Certificate" is base64 DER or PEM text.

// Standard base64 (RFC 4648 section 4, with padding) of bytes.
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunks keep String.fromCharCode's argument list bounded for large files.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// True when the text holds a PEM block (RFC 7468), which the API accepts as it is.
export function looksLikePem(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]+-----/.test(text);
}

// The largest certificate file read: the admin API refuses bodies over 1 MiB anyway, and a
// certificate is a few KiB; anything bigger is a wrong file.
export const MAX_CERTIFICATE_FILE = 64 * 1024;

// What to send as x509Base64Certificate for a chosen file: its text when it is PEM, otherwise
// base64 of its bytes (DER, as `openssl x509 -outform der` or `keytool -exportcert` write it).
export async function certificateFromFile(file: File): Promise<string> {
  if (file.size > MAX_CERTIFICATE_FILE) {
    throw new Error(
      `${file.name} is ${file.size} bytes; a certificate file is at most ${MAX_CERTIFICATE_FILE}`,
    );
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return looksLikePem(text) ? text : bytesToBase64(bytes);
}
