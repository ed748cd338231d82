#include "jose/error.h"

namespace tessera::jose {

std::string_view JoseErrorText(JoseError e) {
  switch (e) {
    case JoseError::kNone:
      return "ok";
    case JoseError::kTooLarge:
      return "token too large";
    case JoseError::kMalformedSegments:
      return "not a compact JWS of three segments";
    case JoseError::kBadBase64Url:
      return "invalid base64url";
    case JoseError::kBadJson:
      return "invalid JSON";
    case JoseError::kDuplicateMember:
      return "duplicate JSON member";
    case JoseError::kJsonTooDeep:
      return "JSON nested too deeply";
    case JoseError::kNotJsonObject:
      return "not a JSON object";
    case JoseError::kEmptySignature:
      return "empty signature";
    case JoseError::kAlgMissing:
      return "header alg missing or not a string";
    case JoseError::kAlgNone:
      return "alg none is never accepted";
    case JoseError::kAlgUnknown:
      return "unknown alg";
    case JoseError::kAlgNotAllowed:
      return "alg not allowed for this key";
    case JoseError::kCritUnsupported:
      return "unsupported critical header";
    case JoseError::kCritMalformed:
      return "malformed crit header";
    case JoseError::kUnencodedPayload:
      return "unencoded payload (b64) not supported";
    case JoseError::kKeyHeaderForbidden:
      return "key-carrying header not accepted";
    case JoseError::kUnsupportedHeader:
      return "unsupported header";
    case JoseError::kBadHeaderValue:
      return "invalid header value";
    case JoseError::kKeyTooWeak:
      return "key too weak";
    case JoseError::kKeyInvalid:
      return "invalid key";
    case JoseError::kKeyUnsupported:
      return "unsupported key type";
    case JoseError::kKeyMismatch:
      return "algorithm does not match the key";
    case JoseError::kKeyNotPrivate:
      return "not a private key";
    case JoseError::kKeyParse:
      return "cannot parse key";
    case JoseError::kWrongPassword:
      return "wrong PKCS#12 password";
    case JoseError::kCertificateInvalid:
      return "invalid certificate";
    case JoseError::kJwkInvalid:
      return "invalid JWK";
    case JoseError::kSignatureLength:
      return "signature has the wrong length";
    case JoseError::kSignatureInvalid:
      return "signature does not verify";
    case JoseError::kClaimMissing:
      return "required claim missing";
    case JoseError::kClaimType:
      return "claim has the wrong type";
    case JoseError::kClaimMilliseconds:
      return "NumericDate in milliseconds";
    case JoseError::kClaimTooLong:
      return "claim too long";
    case JoseError::kExpired:
      return "token expired";
    case JoseError::kNotYetValid:
      return "token not yet valid";
    case JoseError::kIssuedInFuture:
      return "token issued in the future";
    case JoseError::kLifetimeTooLong:
      return "token lifetime too long";
    case JoseError::kTimesInconsistent:
      return "inconsistent time claims";
    case JoseError::kAudienceMismatch:
      return "audience not accepted";
    case JoseError::kCryptoFailure:
      return "cryptographic library failure";
  }
  return "unknown jose error";
}

Status JoseFailure(JoseError e, std::string_view detail) {
  std::string msg(JoseErrorText(e));
  if (!detail.empty()) {
    msg += ": ";
    msg += detail;
  }
  const StatusCode code =
      e == JoseError::kCryptoFailure ? StatusCode::kInternal : StatusCode::kInvalidArgument;
  return Status(code, std::move(msg), static_cast<int>(e));
}

}  // namespace tessera::jose
