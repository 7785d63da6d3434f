"""
The EDA reference for bench/startup.ts: Wei & Zou 2019's four operations as their published code does
them (lowercase letters-only text, NLTK WordNet synonyms, a quarter of the outputs per operation, the
original kept last), re-written here from the paper and the code's behaviour so the comparison runs offline.

    /usr/bin/python3 bench/eda-reference/eda_reference.py INPUT.jsonl OUTPUT.jsonl [--alpha 0.1] [--variants 4]

Needs Debian's python3-nltk and wordnet-base (apt-get install python3-nltk wordnet-base). NLTK's
WordNet reader wants a `lexnames` file that wordnet-base does not ship; a temporary folder of links
adds it. Prints the seconds spent in the augmentation loop alone on stderr.
"""
import atexit
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import warnings

from nltk.corpus.reader.wordnet import WordNetCorpusReader

WORDNET_DIR = "/usr/share/wordnet"
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
LEX_POS = {"adj": 3, "adv": 4, "noun": 1, "verb": 2}

# NLTK's English stopwords, the list the reference code hard-codes (and src/augment/text/stopwords.ts).
STOPWORDS = set(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves what which who whom this that these those am is are was
were be been being have has had having do does did doing a an the and but if or because as until while of at by
for with about against between into through during before after above below to from up down in out on off over
under again further then once here there when where why how all any both each few more most other some such no
nor not only own same so than too very s t can will just don should now""".split()
)


def open_wordnet():
    folder = tempfile.mkdtemp(prefix="eda-wordnet-")
    atexit.register(shutil.rmtree, folder, True)
    for name in os.listdir(WORDNET_DIR):
        os.symlink(os.path.join(WORDNET_DIR, name), os.path.join(folder, name))
    with open(os.path.join(folder, "lexnames"), "w") as f:
        for i, name in enumerate(LEXNAMES):
            f.write(f"{i:02d}\t{name}\t{LEX_POS[name.split('.')[0]]}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available": not used here
        return WordNetCorpusReader(folder, None)


wordnet = open_wordnet()


def only_letters(line):
    line = line.replace("'", "").replace("-", " ").replace("\t", " ").replace("\n", " ").lower()
    kept = "".join(c if c in "qwertyuiopasdfghjklzxcvbnm " else " " for c in line)
    kept = re.sub(" +", " ", kept)
    return kept.lstrip(" ")


def synonyms_of(word):
    found = []
    for synset in wordnet.synsets(word):
        for lemma in synset.lemmas():
            s = lemma.name().replace("_", " ").replace("-", " ").lower()
            s = "".join(c for c in s if c in " qwertyuiopasdfghjklzxcvbnm")
            if s and s != word and s not in found:
                found.append(s)
    return found


def synonym_replacement(words, n):
    out = list(words)
    candidates = list({w for w in words if w not in STOPWORDS})
    random.shuffle(candidates)
    replaced = 0
    for word in candidates:
        options = synonyms_of(word)
        if options:
            pick = random.choice(options)
            out = [pick if w == word else w for w in out]
            replaced += 1
        if replaced >= n:
            break
    return " ".join(out).split(" ")


def random_deletion(words, p):
    if len(words) == 1:
        return words
    kept = [w for w in words if random.uniform(0, 1) > p]
    return kept if kept else [words[random.randint(0, len(words) - 1)]]


def random_swap(words, n):
    out = list(words)
    for _ in range(n):
        i = random.randint(0, len(out) - 1)
        j, tries = i, 0
        while j == i and tries < 3:
            j = random.randint(0, len(out) - 1)
            tries += 1
        out[i], out[j] = out[j], out[i]
    return out


def random_insertion(words, n):
    out = list(words)
    for _ in range(n):
        options, tries = [], 0
        while not options and tries < 10:
            options = synonyms_of(out[random.randint(0, len(out) - 1)])
            tries += 1
        if options:
            out.insert(random.randint(0, len(out) - 1), random.choice(options))
    return out


def eda(sentence, alpha, variants):
    sentence = only_letters(sentence)
    words = [w for w in sentence.split(" ") if w]
    if not words:
        return [sentence]
    per_op = int(variants / 4) + 1
    n = max(1, int(alpha * len(words)))
    outs = []
    outs += [" ".join(synonym_replacement(words, n)) for _ in range(per_op)]
    outs += [" ".join(random_insertion(words, n)) for _ in range(per_op)]
    outs += [" ".join(random_swap(words, n)) for _ in range(per_op)]
    outs += [" ".join(random_deletion(words, alpha)) for _ in range(per_op)]
    outs = [only_letters(s) for s in outs]
    random.shuffle(outs)
    return outs[:variants] + [sentence]


def main():
    args = sys.argv[1:]
    alpha = float(args[args.index("--alpha") + 1]) if "--alpha" in args else 0.1
    variants = int(args[args.index("--variants") + 1]) if "--variants" in args else 4
    random.seed(1)
    rows = [json.loads(line) for line in open(args[0]) if line.strip()]
    started = time.perf_counter()
    with open(args[1], "w") as out:
        for row in rows:
            for text in eda(row["text"], alpha, variants):
                out.write(json.dumps({"text": text, "label": row.get("label")}) + "\n")
    print(f"augmentation loop: {time.perf_counter() - started:.3f} s for {len(rows)} rows", file=sys.stderr)


main()
