#include "oauth/directory.h"

namespace tessera::oauth {
namespace {
constexpr int kMaxListed = 100000;  // bound on apps read when building the resource index
}  // namespace

Directory::Directory(store::Store& store, const Clock& clock, int64_t ttl_seconds)
    : store_(store), clock_(clock), ttl_(ttl_seconds) {}

bool Directory::Fresh(int64_t loaded_at) const {
  return loaded_at != 0 && clock_.NowSeconds() - loaded_at < ttl_;
}

void Directory::Invalidate() {
  std::lock_guard lock(mu_);
  clients_.clear();
  users_.clear();
  certs_.clear();
  partners_ = {};
  resources_ = {};
  generation_.fetch_add(1, std::memory_order_acq_rel);
}

Result<std::shared_ptr<const store::App>> Directory::FindClient(const std::string& client_id) {
  {
    std::lock_guard lock(mu_);
    auto it = clients_.find(client_id);
    if (it != clients_.end() && Fresh(it->second.loaded_at)) return it->second.value;
  }
  TESSERA_ASSIGN_OR_RETURN(store::App app, store_.FindAppByClientId(client_id));
  auto value = std::make_shared<const store::App>(std::move(app));
  std::lock_guard lock(mu_);
  clients_[client_id] = {value, clock_.NowSeconds()};
  return value;
}

Result<std::shared_ptr<const store::User>> Directory::FindUser(const std::string& user_name) {
  {
    std::lock_guard lock(mu_);
    auto it = users_.find(user_name);
    if (it != users_.end() && Fresh(it->second.loaded_at)) return it->second.value;
  }
  TESSERA_ASSIGN_OR_RETURN(store::User user, store_.FindUserByName(user_name));
  auto value = std::make_shared<const store::User>(std::move(user));
  std::lock_guard lock(mu_);
  users_[user_name] = {value, clock_.NowSeconds()};
  return value;
}

Result<std::shared_ptr<const NamedCertificate>> Directory::ClientCertificate(
    const std::string& alias) {
  {
    std::lock_guard lock(mu_);
    auto it = certs_.find(alias);
    if (it != certs_.end() && Fresh(it->second.loaded_at)) return it->second.value;
  }
  TESSERA_ASSIGN_OR_RETURN(store::CertificateRecord rec,
                           store_.GetCertificate(store::CertificateKind::kClient, alias));
  Result<jose::Certificate> cert = jose::LoadCertificate(rec.der);
  if (!cert.ok())
    return Status::Internal("stored certificate " + alias +
                            " no longer parses: " + cert.status().message());
  auto value =
      std::make_shared<const NamedCertificate>(NamedCertificate{alias, std::move(cert).value()});
  std::lock_guard lock(mu_);
  certs_[alias] = {value, clock_.NowSeconds()};
  return value;
}

Result<std::shared_ptr<const std::vector<NamedCertificate>>> Directory::PartnerCertificates() {
  {
    std::lock_guard lock(mu_);
    if (Fresh(partners_.loaded_at)) return partners_.value;
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::CertificateRecord> recs,
                           store_.ListCertificates(store::CertificateKind::kPartner));
  auto list = std::make_shared<std::vector<NamedCertificate>>();
  for (const auto& rec : recs) {
    Result<jose::Certificate> cert = jose::LoadCertificate(rec.der);
    if (cert.ok()) list->push_back({rec.alias, std::move(cert).value()});
  }
  std::shared_ptr<const std::vector<NamedCertificate>> value = list;
  std::lock_guard lock(mu_);
  partners_ = {value, clock_.NowSeconds()};
  return value;
}

Result<std::shared_ptr<const std::vector<ResourceView>>> Directory::Resources() {
  {
    std::lock_guard lock(mu_);
    if (Fresh(resources_.loaded_at)) return resources_.value;
  }
  TESSERA_ASSIGN_OR_RETURN(std::vector<store::App> apps, store_.ListApps(0, kMaxListed));
  auto list = std::make_shared<std::vector<ResourceView>>();
  for (const auto& app : apps) {
    if (app.kind != store::AppKind::kResource) continue;
    list->push_back(
        {app.id, app.display_name, app.audience, app.scopes, app.access_token_expiry, app.active});
  }
  std::shared_ptr<const std::vector<ResourceView>> value = list;
  std::lock_guard lock(mu_);
  resources_ = {value, clock_.NowSeconds()};
  return value;
}

}  // namespace tessera::oauth
