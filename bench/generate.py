"""Seeded generator of synthetic courses in our format, for benchmarks and fault tests."""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
CHUNK = 1 << 20
STAMP = ".generated.json"


@dataclass(frozen=True)
class Spec:
    """How big a course is: counts and the bytes of media it carries."""

    modules: int
    pages: int
    questions: int
    media_bytes: int


SIZES = {
    "tiny": Spec(modules=2, pages=8, questions=6, media_bytes=1 << 20),
    "small": Spec(modules=3, pages=30, questions=20, media_bytes=5 << 20),
    "medium": Spec(modules=12, pages=200, questions=150, media_bytes=200 << 20),
    "large": Spec(modules=60, pages=1500, questions=1000, media_bytes=1536 << 20),
    # for batch builds: text-heavy courses, so parsing (the part that can use both cores)
    # outweighs copying media
    "batch": Spec(modules=6, pages=120, questions=90, media_bytes=8 << 20),
}

WORDS = ("client therapist consent record privacy duty warn boundary supervision ethics "
         "session document harm assessment capacity minor guardian disclosure court "
         "subpoena colleague referral competence culture telehealth fee relationship risk "
         "policy review standard practice informed limits trust safety notes plan care "
         "license board report agency family crisis emergency protect value reason").split()
# Media kinds: suffix, folder, relative weight of bytes (video is the heavy part).
MEDIA = (("jpg", "img", 3.0), ("png", "img", 1.0), ("mp4", "video", 12.0))
TEXT_KINDS = ("vtt", "txt", "css", "svg")


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def sentence(rng: random.Random) -> str:
    text = words(rng, rng.randint(6, 18))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))


def write_random(path: Path, size: int, rng: random.Random) -> None:
    """Already-compressed-looking bytes: random data does not deflate at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        left = size
        while left > 0:
            n = min(CHUNK, left)
            fh.write(rng.randbytes(n))
            left -= n


def text_asset(kind: str, rng: random.Random, size: int) -> str:
    """A deflatable text asset of roughly ``size`` characters."""
    parts: list[str] = []
    total = 0
    i = 0
    while total < size:
        i += 1
        if kind == "vtt":
            line = f"{i}\n00:00:{i % 60:02d}.000 --> 00:00:{(i + 1) % 60:02d}.000\n" \
                   f"{sentence(rng)}\n\n"
        elif kind == "css":
            line = (f".c{i} {{ margin: {rng.randint(0, 9)}px; "
                    f"color: #{rng.randrange(4096):03x}; }}\n")
        elif kind == "svg":
            line = (f'<rect x="{rng.randint(0, 99)}" y="{rng.randint(0, 99)}" width="9" '
                    f'height="9" fill="#{rng.randrange(4096):03x}"/>\n')
        else:
            line = paragraph(rng) + "\n\n"
        parts.append(line)
        total += len(line)
    body = "".join(parts)
    if kind == "vtt":
        return "WEBVTT\n\n" + body
    if kind == "svg":
        return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 108 108">\n{body}</svg>\n'
    return body


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``parts`` random positive counts summing to ``total`` (each at least 1 when possible)."""
    if parts <= 0:
        return []
    base = [1 if total >= parts else 0] * parts
    for _ in range(total - sum(base)):
        base[rng.randrange(parts)] += 1
    return base


def question(rng: random.Random, qid: str, kind: str) -> str:
    """One ```quiz block; likert in evaluations, a mix of graded types elsewhere."""
    prompt = sentence(rng).rstrip(".") + "?"
    if kind == "evaluation":
        return (f"```quiz\nid: {qid}\ntype: likert\nprompt: {prompt}\n"
                "scale: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]\n```\n")
    # Few text questions: their answers dominate the SCORM 1.2 saved-state budget.
    qtype = rng.choices(["single", "multiple", "true-false", "text"], [8, 4, 4, 1])[0]
    head = f"```quiz\nid: {qid}\ntype: {qtype}\nprompt: {prompt}\n"
    if qtype == "true-false":
        return head + f"answer: {rng.choice(['true', 'false'])}\n```\n"
    if qtype == "text":
        return head + f"answers: [{rng.choice(WORDS)}, {words(rng, 2)}]\n```\n"
    n = rng.randint(3, 5)
    correct = set(rng.sample(range(n), 1 if qtype == "single" else rng.randint(1, n - 1)))
    lines = ["choices:"]
    for i in range(n):
        lines.append(f"  - text: {words(rng, rng.randint(2, 7))}")
        if i in correct:
            lines.append("    correct: true")
        if rng.random() < 0.5:
            lines.append(f"    feedback: {sentence(rng)}")
    return head + "\n".join(lines) + "\n```\n"


def module_kinds(n: int) -> list[str]:
    """Mostly lessons; every fourth module an assessment; the last one an evaluation."""
    kinds = ["assessment" if i % 4 == 3 else "lesson" for i in range(n)]
    if n >= 2:
        kinds[-1] = "evaluation"
    if "assessment" not in kinds:
        kinds[-2 if n >= 2 else 0] = "assessment"
    return kinds


def generate(root: Path, spec: Spec, seed: int, course_id: str = "bench") -> Path:
    """Write a course to ``root`` (replacing it); the same seed gives the same bytes."""
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    (root / "modules").mkdir(parents=True)
    kinds = module_kinds(spec.modules)
    pages_per = split(spec.pages, spec.modules, rng)
    # Evaluations get two likert questions; the rest spread over the other modules.
    evals = sum(1 for k in kinds if k == "evaluation")
    q_eval = min(2 * evals, spec.questions)
    others = [i for i, k in enumerate(kinds) if k != "evaluation"]
    spread = split(spec.questions - q_eval, len(others), rng)
    q_per = [0] * spec.modules
    for i, n in zip(others, spread, strict=True):
        q_per[i] = n
    for i, k in enumerate(kinds):
        if k == "evaluation":
            q_per[i] = 2 if q_eval else 0

    # Media: about one file per two pages, bytes split by kind weight with random sizes.
    n_media = max(3, spec.pages // 2)
    media: list[tuple[str, int]] = []
    weights = []
    for i in range(n_media):
        suffix, folder, weight = MEDIA[i % len(MEDIA)]
        w = weight * rng.uniform(0.3, 1.7)
        weights.append(w)
        media.append((f"assets/{folder}/m{i:05d}.{suffix}", 0))
    scale = spec.media_bytes / sum(weights)
    media = [(name, max(1024, int(w * scale))) for (name, _), w in zip(media, weights,
                                                                      strict=True)]
    for name, size in media:
        write_random(root / name, size, rng)
    n_text = max(2, spec.pages // 10)
    texts = []
    for i in range(n_text):
        kind = TEXT_KINDS[i % len(TEXT_KINDS)]
        name = f"assets/text/t{i:04d}.{kind}"
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text_asset(kind, rng, rng.randint(4_000, 60_000)),
                                 encoding="utf-8")
        texts.append(name)
    refs = [name for name, _ in media] + texts
    rng.shuffle(refs)
    ref_pages = split(len(refs), spec.pages, rng)

    names = []
    page_no = 0
    ref_iter = iter(refs)
    for m in range(spec.modules):
        name = f"{m + 1:03d}-module"
        names.append(name)
        kind = kinds[m]
        front = [f"title: Module {m + 1} - {words(rng, 3)}", f"kind: {kind}",
                 f"minutes: {rng.randint(5, 60)}", "objectives:",
                 f"  - {sentence(rng)}", f"  - {sentence(rng)}"]
        graded = q_per[m] if kind == "assessment" else 0
        if kind == "assessment" and graded >= 4:
            front.append(f"pool: {graded // 2}")
            front.append("shuffle: true")
        per_page = split(q_per[m], pages_per[m], rng)
        out = ["---", *front, "---", ""]
        for p in range(pages_per[m]):
            out.append(f"# {words(rng, rng.randint(2, 6)).capitalize()} {page_no + 1}\n")
            for _ in range(rng.randint(2, 5)):
                out.append(paragraph(rng) + "\n")
            if rng.random() < 0.3:
                out.extend(f"- {sentence(rng)}" for _ in range(rng.randint(2, 5)))
                out.append("")
            if rng.random() < 0.1:
                out.append("| Term | Meaning |\n|---|---|")
                out.extend(f"| {rng.choice(WORDS)} | {sentence(rng)} |" for _ in range(3))
                out.append("")
            for _ in range(ref_pages[page_no]):
                ref = next(ref_iter)
                label = f"{words(rng, rng.randint(2, 5))} ({Path(ref).suffix[1:]})"
                if ref.endswith((".jpg", ".png")):
                    out.append(f"![{label}](../{ref})\n")
                else:
                    out.append(f"See [{label}](../{ref}).\n")
            for q in range(per_page[p]):
                out.append(question(rng, f"m{m + 1}-p{page_no + 1}-q{q + 1}", kind))
            page_no += 1
        (root / "modules" / f"{name}.md").write_text("\n".join(out), encoding="utf-8")

    completion = ["pages", "passed", "evaluation"] if "evaluation" in kinds else ["pages",
                                                                                 "passed"]
    course = [f"id: {course_id}", f"title: Benchmark course {course_id} (seed {seed})",
              'version: "1.0.0"', "language: en",
              "description: A synthetic course generated for build benchmarks.",
              "ce:", "  hours: 2", "  provider: Bench Provider", "passing_score: 70",
              f"completion: [{', '.join(completion)}]", "modules:"]
    course += [f"  - {n}" for n in names]
    (root / "course.yaml").write_text("\n".join(course) + "\n", encoding="utf-8")
    return root


def ensure(size: str, seed: int = 1, course_id: str = "bench",
           root: Path | None = None) -> Path:
    """The course for (size, seed), generated once and kept (by default in the cache)."""
    spec = SIZES[size]
    root = root or CACHE / f"{size}-s{seed}" / course_id
    # The generator's own hash: editing it regenerates every cached course.
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    want = {"spec": asdict(spec), "seed": seed, "id": course_id, "generator": source}
    stamp = root / STAMP
    try:
        if json.loads(stamp.read_text()) == want:
            return root
    except (OSError, ValueError):
        pass
    generate(root, spec, seed, course_id)
    stamp.write_text(json.dumps(want))
    return root


def ensure_batch(count: int, size: str = "small", seed: int = 1) -> Path:
    """A folder of ``count`` courses (different seeds and ids), for batch builds."""
    folder = CACHE / f"batch-{size}-{count}-s{seed}"
    for i in range(count):
        ensure(size, seed + i, f"batch-{i + 1}", folder / f"batch-{i + 1}")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None,
                        help="course folder to write (default: the cache)")
    args = parser.parse_args(argv)
    if args.out:
        path = generate(args.out, SIZES[args.size], args.seed)
    else:
        path = ensure(args.size, args.seed)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
