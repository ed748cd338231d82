"""`cmake --install BUILD --prefix P` and the libraries as a consumer sees them (contract
section 8): the layout, the CMake package (find_package(Tessera CONFIG), Tessera::client and
Tessera::verifier, shared and static) and tessera-{client,verifier}.pc (shared, and static with
--static), then examples/ built out of tree each of those four ways and run against a real
`tessera serve` on 127.0.0.1: a client-credentials token, a user token (RFC 7523 assertion
signed in the library) and the verification of the token by the verifier library.

Reuses the built tree ($TESSERA_BUILD_DIR): it installs, it does not rebuild Tessera.
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import tessera_it as it  # noqa: E402

SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("TESSERA_BUILD_DIR") or os.path.join(SOURCE, "build")
CXX = os.environ.get("CXX", "c++")
LIBS = ("client", "verifier")


def sanitizer_flags():
    """-fsanitize=... when the tree was built with TESSERA_SANITIZE or TESSERA_TSAN (its
    libraries then need the sanitizer runtime in every executable that links them)."""
    try:
        with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
            cache = f.read()
    except OSError:
        return []
    if re.search(r"(?m)^TESSERA_SANITIZE:BOOL=(ON|TRUE|1)$", cache):
        return ["-fsanitize=address,undefined"]
    if re.search(r"(?m)^TESSERA_TSAN:BOOL=(ON|TRUE|1)$", cache):
        return ["-fsanitize=thread"]
    return []


SANITIZE = sanitizer_flags()


def run(args, env=None, cwd=None, timeout=300):
    p = subprocess.run(args, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s%s" % (" ".join(args), p.returncode,
                                                        p.stdout[-3000:], p.stderr[-3000:]))
    return p.stdout


def needed(binary):
    """The DT_NEEDED entries of an ELF file."""
    return re.findall(r"NEEDED\s+(\S+)", run(["objdump", "-p", binary]))


class InstallTreeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        cls.work = tempfile.mkdtemp(prefix="tessera-install-")
        cls.prefix = os.path.join(cls.work, "prefix")
        run(["cmake", "--install", BUILD, "--prefix", cls.prefix])
        cls.libdir = os.path.join(cls.prefix, "lib")
        cls.pc_env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(cls.libdir, "pkgconfig"))
        cls.builds = {}  # way -> directory of example_token_client and example_verify_token
        cls.server = None

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)
        print("install test: %.1f s" % (time.monotonic() - cls.started))

    # ------------------------------------------------------------ layout

    def test_layout(self):
        p = self.prefix
        self.assertTrue(os.access(os.path.join(p, "bin", "tessera"), os.X_OK))
        self.assertRegex(run([os.path.join(p, "bin", "tessera"), "--version"]),
                         r"^tessera \d+\.\d+\.\d+ \(\S+\)\n$")
        headers = sorted(os.path.basename(h) for h in glob.glob(os.path.join(p, "include", "*", "*")))
        source_headers = sorted(os.path.basename(h)
                                for h in glob.glob(os.path.join(SOURCE, "include", "tessera", "*.h")))
        self.assertEqual(headers, source_headers, "only include/tessera/*.h is installed")
        self.assertEqual(os.listdir(os.path.join(p, "include")), ["tessera"])
        for lib in LIBS:
            base = os.path.join(self.libdir, "libtessera-%s" % lib)
            self.assertTrue(os.path.isfile(base + ".a"))
            self.assertEqual(os.readlink(base + ".so"), "libtessera-%s.so.0" % lib)
            real = os.path.realpath(base + ".so")
            self.assertRegex(os.path.basename(real), r"^libtessera-%s\.so\.0\.\d+\.\d+$" % lib)
            self.assertIn("SONAME               libtessera-%s.so.0" % lib,
                          re.sub(r"SONAME\s+", "SONAME               ", run(["objdump", "-p", real])))
            self.assertTrue(os.path.isfile(os.path.join(self.libdir, "pkgconfig",
                                                        "tessera-%s.pc" % lib)))
        for f in ("TesseraConfig.cmake", "TesseraConfigVersion.cmake", "TesseraTargets.cmake"):
            self.assertTrue(os.path.isfile(os.path.join(self.libdir, "cmake", "Tessera", f)))

    def test_nothing_internal_is_exported(self):
        # The CMake package: consumers get include/ only, and OpenSSL/libcurl only to link the
        # static libraries ($<LINK_ONLY:>), never as a usage requirement.
        with open(os.path.join(self.libdir, "cmake", "Tessera", "TesseraTargets.cmake")) as f:
            targets = f.read()
        self.assertNotIn(SOURCE, targets)
        for value in re.findall(r'INTERFACE_INCLUDE_DIRECTORIES "([^"]*)"', targets):
            self.assertEqual(set(value.split(";")), {"${_IMPORT_PREFIX}/include"})
        for value in re.findall(r'INTERFACE_LINK_LIBRARIES "([^"]*)"', targets):
            for item in value.split(";"):
                self.assertTrue(item.startswith("\\$<LINK_ONLY:"), item)
        # pkg-config: no public Requires; the static dependencies are private.
        for lib in LIBS:
            name = "tessera-" + lib
            # pkg-config adds the Cflags of Requires.private (libcurl's), nothing else.
            cflags = run(["pkg-config", "--cflags", name], env=self.pc_env).split()
            private = run(["pkg-config", "--cflags", "libcurl", "libcrypto"]).split()
            self.assertEqual([c for c in cflags if c not in private],
                             ["-I" + os.path.join(self.prefix, "include")])
            libs = run(["pkg-config", "--libs", name], env=self.pc_env).split()
            self.assertEqual(libs, ["-L" + self.libdir, "-l" + name])
            static = run(["pkg-config", "--static", "--libs", name], env=self.pc_env).split()
            self.assertIn("-lcurl", static)
            self.assertIn("-lcrypto", static)
            self.assertEqual(run(["pkg-config", "--print-requires", name], env=self.pc_env), "")
            # The shared library exports the public API only: no JOSE or helper symbols.
            exported = run(["nm", "-D", "--defined-only", "-C",
                            os.path.join(self.libdir, "lib%s.so" % name)])
            symbols = [l.split(" ", 2)[2] for l in exported.splitlines() if l.count(" ") >= 2]
            self.assertTrue(any(s.startswith("tessera::%s::" % lib) for s in symbols))
            for s in symbols:
                self.assertTrue(re.match(r"^(tessera::(client|verifier|Status)|tessera::StatusCodeName"
                                         r"|(typeinfo|typeinfo name|vtable) for tessera::"
                                         r"(client|verifier)::|TESSERA_0$)", s), s)

    # ------------------------------------------------------------ consumers

    def build_cmake(self, way, static):
        out = os.path.join(self.work, way)
        args = ["cmake", "-S", os.path.join(SOURCE, "examples"), "-B", out, "-G", "Ninja",
                "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_PREFIX_PATH=" + self.prefix,
                "-DCMAKE_CXX_COMPILER=" + CXX, "-DCMAKE_CXX_FLAGS=" + " ".join(SANITIZE),
                "-DCMAKE_EXE_LINKER_FLAGS=" + " ".join(SANITIZE)]
        if static:
            args.append("-DTESSERA_USE_STATIC_LIBS=ON")
        run(args)
        run(["cmake", "--build", out])
        return out

    def build_pkg_config(self):
        """Each example compiled once with `pkg-config --cflags`, linked twice: shared
        (`--libs`), and static: the .a, then its Requires.private modules (linked shared: a
        fully static libcurl needs static libraries Debian's libcurl-dev does not pull in) and
        its Libs.private."""
        shared = os.path.join(self.work, "pkg-config-shared")
        static = os.path.join(self.work, "pkg-config-static")
        os.makedirs(shared)
        os.makedirs(static)
        for source, name, lib in (("token_client.cc", "example_token_client", "tessera-client"),
                                  ("verify_token.cc", "example_verify_token", "tessera-verifier")):
            obj = os.path.join(self.work, name + ".o")
            cflags = run(["pkg-config", "--cflags", lib], env=self.pc_env).split()
            run([CXX, "-std=c++20", "-O1", "-Wall", "-Werror"] + SANITIZE + cflags +
                ["-c", os.path.join(SOURCE, "examples", source), "-o", obj])
            libs = run(["pkg-config", "--libs", lib], env=self.pc_env).split()
            run([CXX, obj, "-o", os.path.join(shared, name), "-Wl,-rpath," + self.libdir] +
                SANITIZE + libs)
            requires = run(["pkg-config", "--print-requires-private", lib], env=self.pc_env).split()
            self.assertEqual(sorted(requires), ["libcrypto", "libcurl"])
            private = run(["pkg-config", "--libs"] + requires).split()
            with open(os.path.join(self.libdir, "pkgconfig", lib + ".pc")) as f:
                libs_private = re.search(r"^Libs\.private: (.*)$", f.read(), re.M).group(1).split()
            run([CXX, obj, "-o", os.path.join(static, name)] + SANITIZE +
                [os.path.join(self.libdir, "lib%s.a" % lib)] + private + libs_private)
        return shared, static

    def test_examples_against_a_real_server(self):
        builds = {
            "cmake-shared": (self.build_cmake("cmake-shared", False), True),
            "cmake-static": (self.build_cmake("cmake-static", True), False),
        }
        shared, static = self.build_pkg_config()
        builds["pkg-config-shared"] = (shared, True)
        builds["pkg-config-static"] = (static, False)
        for way, (directory, is_shared) in builds.items():
            for name, lib in (("example_token_client", "client"),
                              ("example_verify_token", "verifier")):
                libs = needed(os.path.join(directory, name))
                self.assertEqual("libtessera-%s.so.0" % lib in libs, is_shared, (way, name, libs))
                self.assertFalse(any(l.startswith("libtessera-%s" % o) for o in LIBS if o != lib
                                     for l in libs), (way, name, libs))

        server = it.Server(os.path.join(self.work, "data"))
        type(self).server = server.start()
        admin = it.Admin(server)
        tenant = it.Tenant(server, admin, self.work)
        jwks = server.get("/.well-known/openid-configuration").json()["jwks_uri"]
        for way, (directory, _) in builds.items():
            with self.subTest(way=way):
                client = os.path.join(directory, "example_token_client")
                verify = os.path.join(directory, "example_verify_token")
                # Client credentials, twice: the second from the cache.
                out = run([client, server.base, tenant.client_id, tenant.secret, tenant.fqs])
                self.assertIn("requests so far 1\n", out.splitlines(True)[2])
                token = out.splitlines()[3]
                who = run([verify, jwks, server.issuer, tenant.audience, token, it.SCOPE_VALUE])
                self.assertEqual(who.splitlines()[0], "subject " + tenant.client_id)
                self.assertEqual(who.splitlines()[1], "client " + tenant.client_id)
                # A user token: the assertion is signed by the library with the tenant's key.
                out = run([client, server.base, tenant.client_id, tenant.secret, tenant.user_name,
                           tenant.keys["key"], tenant.alias, tenant.fqs])
                user_token = out.splitlines()[1]
                who = run([verify, jwks, server.issuer, tenant.audience, user_token])
                self.assertEqual(who.splitlines()[0], "subject " + tenant.user_name)
                # The verifier refuses a token for another audience.
                p = subprocess.run([verify, jwks, server.issuer, "https://other.example.com",
                                    user_token], capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                self.assertIn("audience", p.stderr)


if __name__ == "__main__":
    unittest.main()
