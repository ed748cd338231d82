// The storage contract suite: the behaviour every Store backend must show, written once against
// the ports in store.h and run on each backend (SQLite now, PostgreSQL later).
//
// A backend's test binary links the CMake target `tessera_store_contract` and instantiates the
// suite with a factory that returns a fresh, empty store on every call:
//
//   #include "store/store_contract_test.h"
//   INSTANTIATE_TEST_SUITE_P(Postgres, StoreContractTest,
//                            ::testing::Values(tessera::store::StoreFactory(&MakeEmptyStore)),
//                            tessera::store::StoreBackendName("Postgres"));
//
// Each test calls the factory once in SetUp, so tests never see one another's rows.
#ifndef TESSERA_STORE_STORE_CONTRACT_TEST_H_
#define TESSERA_STORE_STORE_CONTRACT_TEST_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "store/store.h"

namespace tessera::store {

// Returns a new, empty store, or null if the backend cannot be reached (the test then fails).
using StoreFactory = std::function<std::unique_ptr<Store>()>;

class StoreContractTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<Store> store_;
};

// A test-name generator for INSTANTIATE_TEST_SUITE_P: every instance is called `name`.
inline auto StoreBackendName(std::string name) {
  return [name](const ::testing::TestParamInfo<StoreFactory>&) { return name; };
}

}  // namespace tessera::store

#endif  // TESSERA_STORE_STORE_CONTRACT_TEST_H_
