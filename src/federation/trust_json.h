// The JSON form of a federation trust (contract section 10): the IDCS
// IdentityPropagationTrust resource the admin API serves, and the document the store keeps.
//
// TrustToJson writes every field under its wire name (docs/federation.md lists them), with
// "schemas" (kTrustSchema) and "id" when the trust has one. Empty optional strings
// (publicKeyEndpoint, publicCertificate, clientClaimName) and an unset maxTokenLifetime are left
// out; lists are always written, empty or not.
//
// TrustFromJson reads that shape strictly, then runs ValidateTrust:
//   - the body is an object; a member Tessera does not know is refused, naming it;
//   - a member of the wrong JSON type is refused, naming it ("audiences: must be an array of
//     strings"); enum names outside their set likewise ("subjectType: must be \"User\" or
//     \"App\", not \"Bot\"");
//   - null is "unassigned" (RFC 7643 2.5): the field keeps its default;
//   - "schemas", when present, is an array of strings holding kTrustSchema; "meta" (an object)
//     is read-only and ignored; "id" sets Trust::id;
//   - each conditions entry is {"claim":..,"in":[..]} or {"claim":..,"like":".."}, each
//     impersonationServiceUsers entry {"rule":..,"value":..}, nothing else in either;
//   - lists hold at most kMaxTrustListEntries entries (the store's bound, checked before
//     anything is copied), strings at most 64 KiB.
// Every refusal is kInvalidArgument whose message starts with the field's wire name, as
// ValidateTrust's do, so that the admin API answers it as a SCIM invalidValue unchanged.
//
// Example:
//   TESSERA_ASSIGN_OR_RETURN(Trust trust, TrustFromJson(body));
//   trust.id = NewId();
//   std::string document = jose::DumpCompact(TrustToJson(trust));
//
// Thread safety: pure functions.
#ifndef TESSERA_FEDERATION_TRUST_JSON_H_
#define TESSERA_FEDERATION_TRUST_JSON_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "federation/trust.h"
#include "jose/json.h"
#include "tessera/status.h"

namespace tessera::federation {

inline constexpr char kTrustSchema[] =
    "urn:ietf:params:scim:schemas:oracle:idcs:IdentityPropagationTrust";

jose::Json TrustToJson(const Trust& trust);

// REQUIRES: nothing; any JSON value is answered (a non-object is refused).
Result<Trust> TrustFromJson(const jose::Json& json);

// The stored form (store::FederationTrustRecord::document): TrustToJson's compact text, and
// back. TrustFromDocument parses strictly (at most kMaxTrustDocumentBytes) and then as
// TrustFromJson; a refusal means the stored text was not written by TrustToDocument (or the
// rules have tightened since): kInvalidArgument.
inline constexpr std::size_t kMaxTrustDocumentBytes = 1024 * 1024;
std::string TrustToDocument(const Trust& trust);
Result<Trust> TrustFromDocument(std::string_view document);

}  // namespace tessera::federation

#endif  // TESSERA_FEDERATION_TRUST_JSON_H_
