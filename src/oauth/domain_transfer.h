// DomainTransfer: configuration as code. Export reads the whole identity domain (users, apps,
// client and partner certificates, trust-token issuers, federation trusts) as typed records
// without any secret;
// Import makes a store match such a domain, creating what is missing and changing what differs,
// and says what it did (or, for a dry run, would do) as a plan.
//
// Secrets never leave the server: a confidential app's client secret and an HS256 issuer's shared
// secret are named by a reference ("app:<client id>", "issuer:<issuer>") whose value the importer
// supplies. A reference must be supplied where the record is created; where the record exists it
// may be (a different value replaces the stored secret) or not (the stored secret stays).
//
// Records are matched by their natural key: users by userName, confidential apps by client id,
// resource apps by audience, certificates by alias (per kind), issuers by name, federation trusts
// by name (a trust holds no secret). Ids are kept when
// the target does not use them, so that tokens naming a user id or an app keep their meaning.
// Nothing is deleted: a record of the store that the domain lacks is left alone.
//
// All or nothing: Import validates the whole domain first, against itself and the store (every
// field, every reference between records, every secret reference), and writes nothing when any
// check fails (kInvalidArgument naming the record, the field and the allowed values). The store
// offers no transaction across record kinds, so a store failure in the middle of the writes
// (kUnavailable) leaves the records written so far; as Import is idempotent, running it again
// completes it.
//
// Thread safety: all methods may be called concurrently; two concurrent imports are not ordered.
#ifndef TESSERA_OAUTH_DOMAIN_TRANSFER_H_
#define TESSERA_OAUTH_DOMAIN_TRANSFER_H_

#include <map>
#include <string>
#include <vector>

#include "federation/trust.h"
#include "oauth/audit.h"
#include "oauth/directory.h"
#include "store/store.h"
#include "tessera/clock.h"

namespace tessera::oauth {

// A whole domain. Apps carry no secret_hash and issuers no shared_secret: see the references.
struct DomainRecords {
  std::vector<store::User> users;
  std::vector<store::App> apps;
  std::vector<store::CertificateRecord> client_certificates;
  std::vector<store::CertificateRecord> partner_certificates;
  std::vector<store::TrustTokenIssuerRecord> trust_issuers;
  std::vector<federation::Trust> federation_trusts;  // by creation time
};

// The reference under which an app's client secret, or an issuer's shared secret, is supplied.
std::string AppSecretRef(const store::App& app);
std::string IssuerSecretRef(const store::TrustTokenIssuerRecord& issuer);

struct PlanStep {
  enum class Action { kCreate, kUpdate, kUnchanged };
  Action action = Action::kUnchanged;
  // "user", "app", "certificate", "partnerCertificate", "trustTokenIssuer", "federationTrust"
  std::string kind;
  std::string name;                  // the natural key
  std::vector<std::string> changes;  // the fields that differ (kUpdate)
};
const char* ActionName(PlanStep::Action action);

class DomainTransfer {
 public:
  DomainTransfer(store::Store& store, Directory& directory, AuditLog& audit, const Clock& clock);

  Result<DomainRecords> Export();

  // Validates `domain` with `secrets` (reference -> value) and returns the plan; with
  // `dry_run` nothing is written, else the plan is applied. Errors: kInvalidArgument (nothing
  // written), the store's (see the header comment).
  Result<std::vector<PlanStep>> Import(const std::string& actor, const std::string& ecid,
                                       const DomainRecords& domain,
                                       const std::map<std::string, std::string>& secrets,
                                       bool dry_run);

 private:
  store::Store& store_;
  Directory& directory_;
  AuditLog& audit_;
  const Clock& clock_;
};

}  // namespace tessera::oauth

#endif  // TESSERA_OAUTH_DOMAIN_TRANSFER_H_
