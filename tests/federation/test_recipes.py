"""The recipes of docs/federation.md stay true: every trust JSON there, with its placeholders
filled in, is created by the recipe's own command (`tessera admin trusts create --file`), the
server keeps each field as written, and answers the warnings the page promises (none, but for
jti reuse)."""

import json
import os
import re
import subprocess

import fed_it  # puts tests/integration (tessera_it) on the path
import tessera_it as it

DOC = os.path.join(fed_it.HERE, "..", "..", "docs", "federation.md")
REUSE_WARNING = ("jti: reuse-until-exp lets the same outside token be exchanged again until it "
                 "expires; a copied token is as good as the original until then.")


def recipe_trusts():
    """{recipe title: trust JSON text} of the Recipes section, in order."""
    with open(DOC) as f:
        text = f.read()
    section = text[text.index("\n## Recipes\n"):]
    out = {}
    for part in re.split(r"\n### ", section)[1:]:
        title = part.splitlines()[0]
        blocks = re.findall(r"```json\n(.*?)```", part, re.S)
        if len(blocks) != 1:
            raise AssertionError("recipe %r: %d trust JSON blocks, expected one" % (title,
                                                                                   len(blocks)))
        out[title] = blocks[0]
    return out


class RecipesTest(it.ServerTest):

    def cli(self, *args):
        argv = [it.TESSERA, "admin", "--url", self.server.base, "--client-id", it.ADMIN_ID,
                "--client-secret", it.ADMIN_SECRET] + list(args)
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, "%s\n%s" % (p.stdout, p.stderr))
        return p.stdout, p.stderr

    def test_every_recipe_trust_is_created_as_written(self):
        recipes = recipe_trusts()
        self.assertEqual(len(recipes), 3, list(recipes))
        app = self.admin.create_client()
        bot = self.admin.create_user("deploy-bot")
        for title, text in recipes.items():
            with self.subTest(recipe=title):
                text = text.replace("<CLIENT_ID>", app["name"]).replace("<id of deploy-bot>",
                                                                        bot["id"])
                self.assertNotRegex(text, r"<[A-Za-z][^>]*>")  # every placeholder filled in
                expected = json.loads(text)
                path = os.path.join(self.work, "trust.json")
                with open(path, "w") as f:
                    f.write(text)
                out, err = self.cli("--json", "trusts", "create", "--file", path)
                created = json.loads(out)
                for field, value in expected.items():
                    self.assertEqual(created[field], value, field)
                warnings = [REUSE_WARNING] if expected.get("jti") == "reuse-until-exp" else []
                self.assertEqual(created.get("warnings", []), warnings)
                for w in warnings:
                    self.assertIn(w, err)


if __name__ == "__main__":
    it.main()
