"""CelebAMask-HQ prep throughput: `prep_celebamask` (all cores) against a plain single-process loop doing the same work.

Both read the same N synthetic faces written in CelebAMask-HQ's raw layout at the real sizes (1024×1024 JPEGs,
512×512 part masks, by `vae_faces.synthetic.write_celebamask_layout`) and produce the same 64×64 faces (merged masks,
background painted, central 7/8 crop, bilinear antialiased resize):

(a) ours: `prep_celebamask` — JPEGs decoded at 512 in the DCT domain (`Image.draft`), mask PNGs inflated by zlib-ng
    (`stored_png`) and merged in C (`ImageChops.lighter`), the background pasted in place through a 1-bit mask, chunks
    on every core, one uint8 cache written at the end;
(b) reference, the naive way: for each image, decode at 1024 and resize to 512, look for each of the 18 part files and
    merge the masks that exist (read by plain Pillow), paint with numpy, crop and resize to 64, save one PNG per image;
    one process.

The two are run interleaved, `--repeats` times each; prints images/s of each and their ratio (median), the CPU time
per image of each (all processes; the ratio of work, whatever else runs on the machine), how far apart their pixels
are, a per-stage breakdown of one process's time per image, and the cost of loading a batch of 64 from the prepared
(memory-mapped) cache. The machine's load average is printed with each run: on a shared machine other work takes
cores from both, and most from the parallel one.

    python bench/prep_bench.py                  # N=200 at real size, 3 repeats: ~1-2 minutes on 2 cores
    python bench/prep_bench.py --n 50 --repeats 1
"""
import os, resource, shutil, statistics, tempfile, time
from pathlib import Path
import numpy as np, torch
from PIL import Image
from fastcore.script import call_parse
from vae_faces.data import load_cache
from vae_faces.prep import num_workers
from vae_faces.datasets import write_celebamask_layout
from vae_faces.celebamask import (prep_celebamask, celebamask_files, union_masks, open_rgb, PARTS,
                                  IMG_DIR, MASK_DIR)

BOX = (32, 32, 480, 480)  # 'center' crop at 512: the central 7/8

# ---------------------------------------------------------------- the reference, the naive way
def reference(root:Path, out:Path, bg=(0, 0, 0), size=64):
    "One process, one image at a time: open, resize to 512, merge masks, paint, crop + resize to 64, save a PNG."
    out.mkdir(parents=True, exist_ok=True)
    for p in sorted((root/IMG_DIR).glob('*.jpg'), key=lambda p: int(p.stem)):
        i = int(p.stem)
        im = Image.open(p).convert('RGB').resize((512, 512), Image.BILINEAR)
        mask = np.zeros((512, 512), bool)
        for part in PARTS:
            q = root/MASK_DIR/str(i // 2000)/f'{i:05d}_{part}.png'
            if q.exists(): mask |= np.array(Image.open(q).convert('L')) > 127
        if not mask.any(): continue
        a = np.array(im); a[~mask] = bg
        Image.fromarray(a).resize((size, size), Image.BILINEAR, box=BOX).save(out/f'{i}.png')

def _cpu():
    "CPU seconds used so far by this process and its finished children."
    a, b = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

# ---------------------------------------------------------------- where the time goes (one process, per image)
def _ms(f, items):
    t = time.perf_counter()
    for it in items: f(it)
    return (time.perf_counter() - t) / len(items) * 1e3

def stages(root:Path, k=40):
    "Milliseconds per image of each step, naive and ours, in this process."
    f = celebamask_files(root); ids = f['ids'][:k]; im, ms = f['images'], f['masks']
    fg = {i: union_masks(ms[i]) for i in ids}; rgb = {i: open_rgb(im[i], 512) for i in ids}
    m512 = {i: np.asarray(fg[i]) > 0 for i in ids}
    naive = dict(
        decode_1024_and_resize=_ms(lambda i: Image.open(im[i]).convert('RGB').resize((512, 512), Image.BILINEAR), ids),
        masks_exists_convert=_ms(lambda i: [np.array(Image.open(q).convert('L')) > 127 for q in
            (root/MASK_DIR/str(i // 2000)/f'{i:05d}_{p}.png' for p in PARTS) if q.exists()], ids),
        paint_numpy=_ms(lambda i: np.where(m512[i][..., None], np.asarray(rgb[i]), np.uint8(0)), ids),
        resize_64=_ms(lambda i: rgb[i].resize((64, 64), Image.BILINEAR, box=BOX), ids),
        save_png=_ms(lambda i: rgb[i].resize((64, 64)).save(root.parent/'_stage.png'), ids))
    ours = dict(
        decode_draft_512=_ms(lambda i: open_rgb(im[i], 512), ids),
        masks_union=_ms(lambda i: union_masks(ms[i]), ids),
        paint_paste_1bit=_ms(lambda i: rgb[i].copy().paste((0, 0, 0), mask=fg[i].point([255] * 128 + [0] * 128, '1')), ids),
        resize_64_image_and_mask=_ms(lambda i: (rgb[i].resize((64, 64), Image.BILINEAR, box=BOX), fg[i].resize((64, 64), Image.BILINEAR, box=BOX)), ids))
    return naive, ours

# ---------------------------------------------------------------- the benchmark
@call_parse
def main(n:int=200, # number of faces (written at the real sizes, 1024/512)
         repeats:int=3, # timed runs of each, interleaved
         workers:int=None, # processes for prep_celebamask (default: all cores)
         chunk_size:int=25, # faces per chunk for prep_celebamask
         tmp:str=None): # scratch folder (default: a new temporary folder, removed at the end)
    "Time prep_celebamask against a plain single-process loop on the same synthetic raw files; print the ratio."
    base = Path(tmp or tempfile.mkdtemp(prefix='prep_bench-')); base.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter(); root = write_celebamask_layout(base/'raw', n); t = time.perf_counter() - t
        mb = sum(p.stat().st_size for p in root.rglob('*') if p.is_file()) / 1e6
        print(f"{n} synthetic faces in the raw layout (1024² JPEG + 512² masks, {mb:.0f} MB) written in {t:.1f} s to {root}")
        print(f"cores available: {num_workers()}; prep_celebamask uses {num_workers(workers)} processes, chunks of {chunk_size}; "
              f"load average before the runs: {os.getloadavg()[0]:.1f} (other work on the machine slows both)")
        ref_s, ours_s, ref_cpu, ours_cpu = [], [], [], []
        for r in range(repeats):
            shutil.rmtree(base/'ref', ignore_errors=True); shutil.rmtree(base/'cache', ignore_errors=True)
            c, t = _cpu(), time.perf_counter(); reference(root, base/'ref')
            ref_s.append(time.perf_counter() - t); ref_cpu.append(_cpu() - c)
            c, t = _cpu(), time.perf_counter(); prep_celebamask(root, base/'cache'/'c', n_workers=workers, chunk_size=chunk_size, verbose=False)
            ours_s.append(time.perf_counter() - t); ours_cpu.append(_cpu() - c)
            print(f"  run {r + 1}: reference {n / ref_s[-1]:6.1f} images/s   prep_celebamask {n / ours_s[-1]:6.1f} images/s   "
                  f"ratio {ref_s[-1] / ours_s[-1]:.2f}×   (load average {os.getloadavg()[0]:.1f})")
        ref, ours = statistics.median(ref_s), statistics.median(ours_s)
        print(f"median: reference {n / ref:.1f} images/s, prep_celebamask {n / ours:.1f} images/s -> {ref / ours:.2f}× faster")
        rc, oc = statistics.median(ref_cpu) / n * 1e3, statistics.median(ours_cpu) / n * 1e3
        print(f"CPU time per image (all processes): reference {rc:.1f} ms, prep_celebamask {oc:.1f} ms -> {rc / oc:.2f}× less work; "
              f"prep_celebamask's processes got {statistics.median(ours_cpu) / ours:.2f} cores on average")

        ds = load_cache(base/'cache'/'c')
        a = np.asarray(ds.images).astype(int)
        b = np.stack([np.asarray(Image.open(base/'ref'/f'{i}.png')) for i in ds.ids]).astype(int)
        print(f"same faces? mean |difference| {np.abs(a - b).mean():.2f} of 255 levels, 99th percentile {np.percentile(np.abs(a - b), 99):.0f}"
              " (JPEG decoded at half scale vs. full decode + bilinear resize)")

        naive, fast = stages(root)
        print("one process, ms per image:")
        print("  reference: " + ", ".join(f"{k} {v:.1f}" for k, v in naive.items()) + f"  = {sum(naive.values()):.1f}")
        print("  ours:      " + ", ".join(f"{k} {v:.1f}" for k, v in fast.items()) + f"  = {sum(fast.values()):.1f}")

        rng = np.random.default_rng(0); idx = [rng.integers(0, len(ds), 64) for _ in range(200)]
        for threads in sorted({1, torch.get_num_threads()}):
            torch.set_num_threads(threads); ds.batch(idx[0])
            t = time.perf_counter()
            for ix in idx: xb = ds.batch(ix)
            t = time.perf_counter() - t
            print(f"loading a batch of 64 from the memory-mapped cache ({tuple(xb.shape)} float32, random rows), "
                  f"torch threads {threads}: {t / len(idx) * 1e3:.2f} ms")
    finally:
        if tmp is None: shutil.rmtree(base, ignore_errors=True)
