// The storage contract suite: the behaviour every Store backend must show, written once against
// the ports in store.h and run on each backend (SQLite: store_sqlite_test; PostgreSQL:
// store_postgres_test).
//
// A backend's test binary links the CMake target `tessera_store_contract` and instantiates the
// suite with a factory that returns a fresh, empty store on every call:
//
//   #include "store/store_contract_test.h"
//   std::unique_ptr<tessera::store::Store> MakeEmptyStore();  // fresh and empty on every call
//   INSTANTIATE_TEST_SUITE_P(
//       Postgres, tessera::store::StoreContractTest,
//       ::testing::Values(tessera::store::StoreBackend{"Postgres", &MakeEmptyStore}),
//       tessera::store::StoreBackendName);
//
// Each test calls the factory once in SetUp, so tests never see one another's rows.
#ifndef TESSERA_STORE_STORE_CONTRACT_TEST_H_
#define TESSERA_STORE_STORE_CONTRACT_TEST_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "store/store.h"

namespace tessera::store {

// Returns a new, empty store, or null if the backend cannot be reached (the test then fails).
using StoreFactory = std::function<std::unique_ptr<Store>()>;

// One backend under test: the suite's parameter.
struct StoreBackend {
  std::string name;  // the instance's name in test names, e.g. "Sqlite"
  StoreFactory make;

  friend void PrintTo(const StoreBackend& backend, std::ostream* os) { *os << backend.name; }
};

// The name generator for INSTANTIATE_TEST_SUITE_P: names each instance by its backend.
inline std::string StoreBackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

class StoreContractTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<Store> store_;
};

}  // namespace tessera::store

#endif  // TESSERA_STORE_STORE_CONTRACT_TEST_H_
