"""Contract section 2 rule 7 under pressure: concurrent replay, restarts, and SIGKILL during
issuance (docs/security.md, replay)."""

import threading
import time

import tessera_it as it

REPLAYED = "assertion jti was already used"


def send_all(t, assertions, threads, results):
    """Sends each assertion once from `threads` workers, filling {index: Resp or exception};
    a worker stops at its first connection error (the server was killed)."""
    lock = threading.Lock()
    next_index = [0]

    def worker():
        while True:
            with lock:
                i = next_index[0]
                if i >= len(assertions):
                    return
                next_index[0] += 1
            try:
                r = t.grant(assertions[i], t.fqs)
            except Exception as e:  # noqa: BLE001 - the server may be killed mid-request
                r = e
            with lock:
                results[i] = r
            if isinstance(r, Exception):
                return

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)


class ReplayTest(it.ServerTest):

    def restart(self, kill=False):
        if kill:
            self.server.kill9()
        else:
            self.server.stop()
        self.server.start()
        self.admin._token = None  # the issuer follows the new port

    def test_concurrent_replay_exactly_one_wins(self):
        t = self.tenant()
        assertion = t.cli_assertion()
        barrier = threading.Barrier(20)
        results = [None] * 20

        def fire(i):
            barrier.wait(10)
            results[i] = t.grant(assertion, t.fqs)

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(20)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertTrue(all(r is not None for r in results), results)
        ok = [r for r in results if r.status == 200]
        refused = [r for r in results if r.status != 200]
        self.assertEqual(len(ok), 1, results)
        self.assertEqual(len(refused), 19)
        for r in refused:
            self.assertInvalidGrant(r, REPLAYED)
        self.assertTokenOk(ok[0])

    def test_concurrent_client_assertion_replay(self):
        t = self.tenant()
        ca = it.run([it.TESSERA, "assert", "--client-id", t.client_id, "--client-assertion", "--key", t.keys["key"],
                     "--kid", t.alias]).strip()
        pairs = [("grant_type", "client_credentials"), ("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                 ("client_assertion", ca)]
        results = [None] * 10
        barrier = threading.Barrier(10)

        def fire(i):
            barrier.wait(10)
            results[i] = self.server.token(pairs)

        threads = [threading.Thread(target=fire, args=(i,)) for i in range(10)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        self.assertEqual(sorted(r.status for r in results), [200] + [401] * 9, results)

    def test_concurrent_distinct_assertions_all_succeed_and_stay_used(self):
        # Concurrent requests share one jti commit (the token endpoint batches them): each must
        # get its own answer, and every jti must be recorded.
        t = self.tenant()
        assertions = [t.assertion(jti=it.unique("batched")) for _ in range(40)]
        results = {}
        send_all(t, assertions + assertions[:10], 10, results)
        self.assertEqual(len(results), 50, results)
        ok = [i for i, r in results.items() if r.status == 200]
        self.assertEqual(len(ok), 40, results)
        for i, r in results.items():
            if r.status != 200:
                self.assertInvalidGrant(r, REPLAYED)
        for a in assertions[:5]:
            self.assertInvalidGrant(t.grant(a, t.fqs), REPLAYED)

    def test_a_refused_client_assertion_burns_no_user_jti(self):
        # Client assertion first, user assertion second: a replayed client assertion stops the
        # request before the user assertion's jti is recorded.
        t = self.tenant()

        def client_assertion():
            return [("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                    ("client_assertion", it.run([it.TESSERA, "assert", "--client-id", t.client_id,
                                                 "--client-assertion", "--key", t.keys["key"],
                                                 "--kid", t.alias]).strip())]
        used = client_assertion()
        self.assertTokenOk(self.server.token([("grant_type", "client_credentials")] + used))
        user = t.cli_assertion()
        grant = [("grant_type", it.JWT_BEARER), ("assertion", user), ("scope", t.fqs)]
        self.assertClientAuthFailed(self.server.token(grant + used), basic_used=False)
        self.assertTokenOk(self.server.token(grant + client_assertion()))
        self.assertInvalidGrant(self.server.token(grant + client_assertion()), REPLAYED)

    def test_client_assertion_is_single_use_across_endpoints(self):
        t = self.tenant()

        def ca():
            return [("client_assertion_type", it.CLIENT_ASSERTION_TYPE),
                    ("client_assertion", it.run([it.TESSERA, "assert", "--client-id", t.client_id, "--client-assertion",
                                                 "--key", t.keys["key"], "--kid", t.alias]).strip())]
        first = ca()
        token = self.assertTokenOk(self.server.token([("grant_type", "client_credentials")] + first))["access_token"]
        r = self.server.post_form("/oauth2/v1/introspect", [("token", token)] + first)
        self.assertClientAuthFailed(r, basic_used=False)
        second = ca()
        self.assertIs(self.server.post_form("/oauth2/v1/introspect", [("token", token)] + second).json()["active"], True)
        self.assertClientAuthFailed(self.server.post_form("/oauth2/v1/revoke", [("token", token)] + second), False)
        self.assertClientAuthFailed(self.server.token([("grant_type", "client_credentials")] + second), False)

    def test_used_jti_survives_restart(self):
        t = self.tenant()
        a = t.cli_assertion()
        self.assertTokenOk(t.grant(a, t.fqs))
        rejected = t.assertion(aud="https://wrong.example/")  # refused: its jti stays unused
        self.assertInvalidGrant(t.grant(rejected, t.fqs), "is not accepted")
        jti = it.jwt_parts(rejected)[1]["jti"]
        self.restart()
        self.assertInvalidGrant(t.grant(a, t.fqs), REPLAYED)
        self.assertTokenOk(t.grant(t.assertion(jti=jti), t.fqs))

    def test_rotated_signing_keys_survive_restart(self):
        t = self.tenant()
        before = self.assertTokenOk(t.grant(t.assertion(), t.fqs))["access_token"]
        new_kid = self.admin.ok("POST", "/admin/v1/SigningKeys/rotate")["kid"]
        self.restart()
        kids = [k["kid"] for k in self.server.get("/admin/v1/SigningCert/jwk").json()["keys"]]
        self.assertIn(it.jwt_parts(before)[0]["kid"], kids)
        self.assertIn(new_kid, kids)
        after = self.assertTokenOk(t.grant(t.assertion(), t.fqs))["access_token"]
        self.assertEqual(it.jwt_parts(after)[0]["kid"], new_kid)
        it.run([it.TESSERA, "jwt", "verify", before, "--jwks-url", self.server.base + "/admin/v1/SigningCert/jwk"])

    def test_sigkill_during_issuance_loses_no_accepted_jti(self):
        t = self.tenant()
        assertions = [t.assertion() for _ in range(120)]
        results = {}
        done = threading.Event()

        def run():
            send_all(t, assertions, 4, results)
            done.set()

        sender = threading.Thread(target=run)
        sender.start()
        # Kill once some have been accepted, while the rest are in flight.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done.is_set():
            accepted = sum(1 for r in list(results.values()) if not isinstance(r, Exception) and r.status == 200)
            if accepted >= 10:
                break
            time.sleep(0.01)
        self.server.kill9()
        sender.join(120)
        self.assertFalse(sender.is_alive())
        accepted = [i for i, r in results.items() if not isinstance(r, Exception) and r.status == 200]
        self.assertGreater(len(accepted), 0, results)
        self.assertLess(len(accepted), len(assertions), "the kill came after the run")
        for i, r in results.items():
            if not isinstance(r, Exception):
                self.assertEqual(r.status, 200, r)  # every assertion was fresh and valid
        self.server.start()
        self.admin._token = None
        for i in accepted:
            self.assertInvalidGrant(t.grant(assertions[i], t.fqs), REPLAYED)
        # The store is consistent after the crash: a fresh assertion is accepted.
        self.assertTokenOk(t.grant(t.assertion(), t.fqs))


if __name__ == "__main__":
    it.main()
