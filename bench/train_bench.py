"""Training throughput: our loop (vae_faces.train) against a plain fp32 reference loop written the tutorial's way.

Both train the tutorial architecture (`VAEConfig()`, latent 128) at batch 64 from the same initial weights, on the
same synthetic faces in the same order and with the same draws of z, alternating short blocks of steps in one process:

(a) ours: `Learner` with in-memory `ArrayLoader` batches, BCE with logits, bf16 autocast where the CPU runs bf16
    natively and faster (`--precision auto`, else fp32), fused Adam, no per-step
    `.item()` (a host sync every 16 steps), channels_last if it measures faster;
(b) reference: images as PNG files decoded by a torch `DataLoader` (PIL + `ToTensor`), fp32,
    `F.binary_cross_entropy(torch.sigmoid(logits), x, reduction='sum')`, `loss.item()` every step.

Prints images/s of each and their ratio, the held-out negative ELBO of both after the same epochs (and its relative
difference), the machine's peak FLOP/s in bf16 and fp32 (the best of a large matmul and a large convolution: on some
CPUs the convolution kernels are twice as fast as the matmul's) and the fraction of the one our loop uses that it
achieves, a per-layer profile of our step (forward + backward of each layer alone: its time, GFLOP/s and % of peak),
and how busy the machine's cores were with other processes meanwhile (timings on a shared machine are only as good as
that).

Then time to quality: the tutorial's recipe (its architecture, the Bernoulli likelihood, fp32, batch 32, constant Adam
1e-3, the reference loop) trains `--ttq-epochs` epochs and sets the targets, its held-out PSNR and its held-out negative
ELBO in bits/dim of the 8-bit faces, under a discretized Gaussian around the decoder's means whose σ is fitted on 1000
training faces: a code length, which the Bernoulli -ELBO of continuous pixels is not, and the same unit for models
trained with other likelihoods. Our default recipe (`TrainConfig()`: the same architecture, the σ-VAE's optimal-σ
Gaussian likelihood, measured at the σ it learned, one-cycle to 4e-3, batch 32, the precision above) in our loop trains
one-cycle schedules of 1, 2, 3, ... epochs until one reaches both targets; the ratio of the training times is printed,
and beside it the same ratio from the epochs each needed and the two loops' speeds measured in alternating blocks at
batch 32: the runs behind the clock times are minutes apart, and a shared machine's speed drifts between them.
`--ttq-bernoulli` does the same with our loop and schedule on the tutorial's Bernoulli likelihood: what the loop and
schedule gain without the likelihood.

    python bench/train_bench.py                 # default: 4 epochs of 2304 faces, then time to quality; about 2 minutes on 2 idle cores (AVX-512 BF16)
    python bench/train_bench.py --epochs 2 --n-train 1024 --ttq-epochs 0 --profile
    python bench/train_bench.py --device cuda --n-train 16384 --epochs 2 --block 32   # on a GPU: more steps, bigger blocks
    python bench/train_bench.py --dataset celeba --root data/celeba-64 --n-train 8000 --n-valid 1000 --epochs 1 --ttq-epochs 10   # real faces

On a GPU both loops and both models run there; the reference moves each decoded batch to the GPU (`x.to(device)`, as the
tutorial does), ours keeps the uint8 faces on the GPU (`ArrayLoader(device=...)`) and builds every batch there. Timings
wait for the GPU (`torch.cuda.synchronize`) before each clock read; the peak is measured with a larger matmul (8192²)
and convolution, and cuDNN's convolutions in fp32 use TF32 (PyTorch's default) while its fp32 matmul does not.
"""
import copy, os, resource, statistics, sys, tempfile, time
from pathlib import Path
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F
from PIL import Image
from fastcore.script import call_parse
from torch.utils.data import DataLoader, Dataset, Sampler
from torchvision.transforms import ToTensor
from vae_faces.data import ArrayLoader
from vae_faces.synthetic import SyntheticFaces
from vae_faces.model import VAEConfig, build_vae
from vae_faces.device import resolve_precision, bf16_native, autocast
from vae_faces.train import Learner, Callback, CancelFitException, OneCycleCB, PrecisionCB, ChannelsLastCB, heldout_elbo, TrainConfig
from vae_faces.losses import recon_loss, dgauss_nll, GAUSSIANS
from vae_faces.evaluate import fit_shared_sigma, shared_sigma_nll
from vae_faces.discretized import heldout_bpd
from vae_faces.results import psnr
from vae_faces.datasets import get_dataset, check_dataset
from vae_faces.cli import UsageError

# ---------------------------------------------------------------- the reference, as the tutorial writes it
class PNGFaces(Dataset):
    "One PNG file per face, decoded with PIL and `ToTensor` in `__getitem__`."
    def __init__(self, files): self.files, self.tf = files, ToTensor()
    def __len__(self): return len(self.files)
    def __getitem__(self, i): return self.tf(Image.open(self.files[i]).convert('RGB'))

class SameOrder(Sampler):
    "The order of `loader` (an `ArrayLoader`) in each epoch, so both loops see the same batches."
    def __init__(self, loader): self.loader, self.epoch = loader, 0
    def __len__(self): return len(self.loader.dataset)
    def __iter__(self): return iter(self.loader.order(self.epoch).tolist())

def ref_step(model, opt, x, losses):
    "One step of the plain fp32 loop (with its `.item()`); the batch goes to the model's device as the tutorial sends it."
    x = x.to(next(model.parameters()).device)
    logits, mu, logvar = model(x)
    recon = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction='sum')
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    loss = (recon + kld) / x.size(0)
    opt.zero_grad(); loss.backward(); opt.step()
    losses.append(loss.item())

def write_pngs(ds, d):
    d.mkdir(parents=True, exist_ok=True); files = [d/f'{i:06d}.png' for i in range(len(ds))]
    for f, img in zip(files, ds.images): Image.fromarray(np.asarray(img)).save(f)
    return files

# ---------------------------------------------------------------- measurements
DEV = torch.device('cpu')   # where both loops run (--device)

def sync():
    "Wait for the GPU's queued work, so that a clock read after it counts it (nothing to wait for on a CPU)."
    if DEV.type == 'cuda': torch.cuda.synchronize(DEV)

def rng_state():
    "The generators that draw z: the CPU's, and the GPU's where the model runs there."
    return torch.get_rng_state(), (torch.cuda.get_rng_state(DEV) if DEV.type == 'cuda' else None)

def set_rng_state(s):
    torch.set_rng_state(s[0])
    if s[1] is not None: torch.cuda.set_rng_state(s[1], DEV)

def best_rate(f, secs=1.5):
    "Best calls/s of `f()` over about `secs` seconds, after two warm-up calls."
    for _ in range(2): f()
    sync(); best, t_end = 0.0, time.perf_counter() + secs
    while time.perf_counter() < t_end:
        t = time.perf_counter(); f(); sync(); best = max(best, 1 / (time.perf_counter() - t))
    return best

def peak_sizes():
    "Sizes of the peak's matmul (n×n) and convolution (batch of 256×16×16): a GPU needs bigger ones to reach its peak."
    return (8192, 256) if DEV.type == 'cuda' else (2048, 64)

def peak_flops(dtype):
    "FLOP/s of an n×n @ n×n matmul and of a large 3×3 convolution (oneDNN or cuDNN, channels_last) in `dtype`: {'matmul', 'conv'}."
    n, nb = peak_sizes()
    a, b = (torch.randn(n, n, device=DEV).to(dtype) for _ in range(2))
    x = torch.randn(nb, 256, 16, 16, device=DEV).to(dtype).contiguous(memory_format=torch.channels_last)
    w = torch.randn(256, 256, 3, 3, device=DEV).to(dtype).contiguous(memory_format=torch.channels_last)
    return dict(matmul=2 * n**3 * best_rate(lambda: a @ b), conv=2 * x.numel() * 256 * 9 * best_rate(lambda: F.conv2d(x, w, padding=1)))

TIMED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.BatchNorm2d, nn.GroupNorm, nn.LeakyReLU, nn.Upsample)

def fwd_flops(m, inp, out):
    "FLOPs of one forward pass of a conv, transposed-conv or linear layer (2 per multiply-add); 0 for the others."
    k = m.kernel_size[0] * m.kernel_size[1] if hasattr(m, 'kernel_size') else 1
    if isinstance(m, nn.Conv2d): return 2 * out.numel() * m.in_channels // m.groups * k  # per output value
    if isinstance(m, nn.ConvTranspose2d): return 2 * inp.numel() * m.out_channels // m.groups * k  # per input value
    if isinstance(m, nn.Linear): return 2 * inp.numel() * m.out_features
    return 0

def layer_calls(model, x, prec):
    "The leaf layers of `model` in the order one forward pass calls them, with their inputs: [(name, module, input)]."
    names, calls = {m: n for n, m in model.named_modules()}, []
    hs = [m.register_forward_hook(lambda m, i, o: calls.append((names[m], m, i[0].detach()))) for m in model.modules()
          if isinstance(m, TIMED)]
    with torch.no_grad(), autocast(x.device, prec): model(x)
    for h in hs: h.remove()
    return calls

def step_flops(model, x, prec='fp32'):
    "FLOPs of one training step: each layer's forward, the gradient of its weights, and of its input (not for the images)."
    tot = 0
    for j, (_, m, inp) in enumerate(layer_calls(model, x, prec)):
        with torch.no_grad(), autocast(x.device, prec): tot += fwd_flops(m, inp, m(inp)) * (2 if j == 0 else 3)
    return tot

def layer_profile(model, x, prec, cl, peak, step_ms, reps=15):
    "Each layer's forward + backward alone, as in a training step of our loop: time, GFLOP/s, % of peak, share of the step."
    model = copy.deepcopy(model).train().to(DEV, memory_format=torch.channels_last if cl else torch.contiguous_format)
    x = x.to(DEV).contiguous(memory_format=torch.channels_last if cl else torch.contiguous_format)
    rows, tot = [], 0.
    for j, (name, m, inp) in enumerate(layer_calls(model, x, prec)):
        xi = inp.clone().requires_grad_(j > 0)   # the images need no gradient
        def f():
            with autocast(DEV, prec): o = m(xi)
            o.backward(torch.ones_like(o))
        ms = 1e3 / best_rate(f, secs=0.3)
        with torch.no_grad(), autocast(DEV, prec): fl = fwd_flops(m, inp, m(inp)) * (3 if j else 2)
        rows.append((name, type(m).__name__, tuple(inp.shape), ms, fl)); tot += ms
    print(f"\nper-layer profile of our step ({prec}, channels_last {'on' if cl else 'off'}; forward + backward of each layer "
          f"alone, best of its repeats):")
    print(f"  {'layer':22s} {'kind':16s} {'input':20s} {'ms':>6s} {'GFLOP':>6s} {'GFLOP/s':>8s} {'% peak':>7s} {'% step':>7s}")
    for name, kind, shape, ms, fl in rows:
        rate = f"{fl / ms / 1e6:8.0f} {100 * fl / ms / 1e-3 / peak:6.1f}%" if fl else f"{'':8s} {'':7s}"
        print(f"  {name:22s} {kind:16s} {str(shape):20s} {ms:6.2f} {fl / 1e9:6.2f} {rate} {100 * ms / step_ms:6.1f}%")
    conv = sum(ms for *_, ms, fl in rows if fl)
    print(f"  layers alone: {tot:.1f} ms of the {step_ms:.1f} ms step ({conv:.1f} ms in conv/linear layers, {tot - conv:.1f} ms in "
          f"norms and activations); the other {step_ms - tot:.1f} ms: the loss, autocast's casts, the optimizer, Python")

class CPUMeter:
    "Share of all cores that other processes kept busy since `start()` (Linux /proc/stat; None elsewhere)."
    def _read(self):
        with open('/proc/stat') as f: v = [int(x) for x in f.readline().split()[1:]]
        r = resource.getrusage(resource.RUSAGE_SELF)
        return sum(v) - v[3] - v[4], sum(v), r.ru_utime + r.ru_stime
    def start(self):
        try: self.t0 = self._read()
        except OSError: self.t0 = None
        return self
    def others(self):
        if self.t0 is None: return None
        b, t, own = self._read(); hz = os.sysconf('SC_CLK_TCK')
        return max(0.0, ((b - self.t0[0]) / hz - (own - self.t0[2])) / ((t - self.t0[1]) / hz))

class StopAfter(Callback):
    "Stop `fit` after `n` batches (the next `fit` goes on from there)."
    order = 100
    def __init__(self, n): self.n = n
    def before_fit(self, learn): self.left = self.n
    def after_batch(self, learn):
        self.left -= 1
        if self.left == 0: raise CancelFitException()

def our_cbs(precision, channels_last)->list:
    "The callbacks that set our loop's precision and memory layout."
    return [PrecisionCB(precision), *([ChannelsLastCB()] if channels_last else [])]

def ours_img_s(model, loader, channels_last, precision, steps=6):
    "Images/s of our loop on a copy of `model` (for the channels_last choice)."
    cbs = our_cbs(precision, channels_last)
    learn = Learner(copy.deepcopy(model).to(DEV), dict(train=loader), cbs=[*cbs, StopAfter(2)])
    learn.fit(1); learn.cbs = [*cbs, StopAfter(steps)]
    sync(); t = time.perf_counter(); learn.fit(1); sync()
    return steps * loader.bs / (time.perf_counter() - t)

def profile_ours(model, loader, channels_last, precision, steps=4):
    "Where one step of our loop spends its time: the top ops by self CPU time."
    from torch.profiler import profile, ProfilerActivity
    cbs = our_cbs(precision, channels_last)
    learn = Learner(copy.deepcopy(model).to(DEV), dict(train=loader), cbs=[*cbs, StopAfter(2)])
    learn.fit(1); learn.cbs = [*cbs, StopAfter(steps)]
    with profile(activities=[ProfilerActivity.CPU]) as p: learn.fit(1); sync()
    ev = sorted(p.key_averages(), key=lambda e: -e.self_cpu_time_total)
    tot = sum(e.self_cpu_time_total for e in ev)
    print(f"\nprofile of our step ({precision}, {steps} steps, {tot / steps / 1e3:.1f} ms/step of op time):")
    for e in ev[:12]:
        print(f"  {e.key[:44]:44s} {e.self_cpu_time_total / steps / 1e3:7.2f} ms/step  {100 * e.self_cpu_time_total / tot:5.1f}%")

def _psnr(model, vl): return psnr(model, vl.dataset.batch(np.arange(len(vl.dataset))))['psnr']

def _quality(model, vl, nll, seed)->tuple:
    "Held-out -ELBO in bits/dim under `nll` (a discretized, normalised likelihood: a code length for every model alike) and PSNR."
    return heldout_bpd(model, vl, nll, seed=seed)['bpd'], _psnr(model, vl)

def _fitted(model, tl, seed, n=1000):
    "A Bernoulli model's likelihood on the 256 levels: a discretized Gaussian around its means, σ fitted on `n` training faces."
    grid = np.geomspace(0.02, 0.5, 67)   # steps of 5% in σ (the default grid's 21% can cost a hundredth of a bit/dim)
    return shared_sigma_nll(fit_shared_sigma(model, tl.dataset.batch(np.arange(min(n, len(tl.dataset)))), grid, seed=seed))

def paired_rates(model, tl, rdl, sampler, prec, cl, loss, lr, blocks=8, n=12)->tuple:
    "Img/s of our loop (with `loss`) and of the reference loop on copies of `model`, median over alternating blocks of `n` steps (after one each)."
    stop = StopAfter(n)
    learn = Learner(copy.deepcopy(model).to(DEV), dict(train=tl), loss, lr=lr, cbs=[*our_cbs(prec, cl), OneCycleCB(), stop])
    ref = copy.deepcopy(model).train().to(DEV); opt, losses = torch.optim.Adam(ref.parameters(), lr=1e-3), []
    def ref_batches():
        for e in range(10 ** 6): sampler.epoch = e; yield from rdl
    it, rates = ref_batches(), dict(ours=[], ref=[])
    def ours_block(): stop.n = n; learn.fit(10 ** 6)
    def ref_block():
        for _ in range(n): ref_step(ref, opt, next(it), losses)
    for k in range(blocks + 1):
        for name, f in ((('ours', ours_block), ('ref', ref_block)) if k % 2 == 0 else (('ref', ref_block), ('ours', ours_block))):
            sync(); t = time.perf_counter(); f(); sync(); rates[name].append(n * tl.bs / (time.perf_counter() - t))
    return tuple(statistics.median(rates[k][1:]) for k in ('ours', 'ref'))   # block 0 warms up

def time_to_quality(model, tl, vl, files, prec, cl, epochs, seed, workers, bs=32, bernoulli=True):
    "Training seconds of the tutorial's recipe for `epochs` epochs, and of ours (one-cycle, 1, 2, ... epochs) to reach its bits/dim and PSNR."
    tl = ArrayLoader(tl.dataset, bs, shuffle=True, drop_last=True, seed=seed, device=tl.device)
    sampler = SameOrder(tl)
    rdl = DataLoader(PNGFaces(files), batch_size=bs, sampler=sampler, drop_last=True, num_workers=workers, generator=torch.Generator())
    ref, losses = copy.deepcopy(model).train().to(DEV), []
    opt = torch.optim.Adam(ref.parameters(), lr=1e-3); torch.manual_seed(seed); sync(); t = time.perf_counter()
    for e in range(epochs):
        sampler.epoch = e
        for x in rdl: ref_step(ref, opt, x, losses)
    sync(); t_ref = time.perf_counter() - t
    (target, target_db), own = _quality(ref, vl, _fitted(ref, tl, seed), seed), heldout_elbo(ref, vl, seed=seed)['nelbo']
    print(f"\ntime to quality: the tutorial's recipe (reference loop, its model, Bernoulli, fp32, batch {bs}, constant Adam 1e-3) trains "
          f"{epochs} epochs in {t_ref:.1f} s to a held-out -ELBO of {target:.4f} bits/dim and a held-out PSNR of {target_db:.2f} dB: the targets "
          f"({len(vl.dataset)} faces, one draw of z each; bits/dim of the 8-bit faces under a discretized Gaussian around the decoder's means, "
          f"its σ fitted on 1000 training faces: a code length, comparable between likelihoods. Its own Bernoulli -ELBO, {own:.2f} nats/image, "
          f"is not one)")
    d = TrainConfig()   # our default recipe
    assert d.schedule == 'onecycle' and d.bs == bs and d.model == VAEConfig()
    recipes = {f"our default recipe (TrainConfig(): the tutorial's model, {d.likelihood} likelihood, one-cycle to {d.lr:g}, batch {d.bs}, {prec})":
                   (d.likelihood, d.lr)}
    if bernoulli: recipes[f"our loop and schedule with the tutorial's model and Bernoulli likelihood (one-cycle to {d.lr:g}, batch {bs}, {prec})"] = ('bernoulli', d.lr)
    print("ours: one-cycle schedules of 1, 2, ... epochs, each from the same initial weights, until one ends at or below the "
          "bits/dim and at or above the PSNR")
    for name, (lik, lr) in recipes.items():
        for e in range(1, epochs + 1):
            torch.manual_seed(seed); loss = recon_loss(lik)
            learn = Learner(build_vae(d.model).to(DEV), dict(train=tl), loss, lr=lr, cbs=[*our_cbs(prec, cl), OneCycleCB()])
            sync(); t = time.perf_counter(); learn.fit(e); sync(); secs = time.perf_counter() - t
            nll = (lambda out, b, s=loss.sigma: dgauss_nll(out, b[0], s)) if lik in GAUSSIANS else _fitted(learn.model, tl, seed)
            v, db = _quality(learn.model, vl, nll, seed)
            print(f"  {name}, {e} epoch{'s' * (e > 1)}: {secs:.1f} s, held-out -ELBO {v:.4f} bits/dim, PSNR {db:.2f} dB"
                  + (f" (σ = {loss.sigma:.4f})" if lik in GAUSSIANS else ''))
            if v <= target and db >= target_db: break
        else: print(f"time to quality, {name.split(' (')[0]}: not reached within {epochs} epochs"); continue
        print(f"time to quality, {name.split(' (')[0]}: {secs:.1f} s against {t_ref:.1f} s, {t_ref / secs:.2f}x less"
              + (" (goal >= 4x)" if DEV.type == 'cpu' else ""))
        ro, rr = paired_rates(model, tl, rdl, sampler, prec, cl, recon_loss(lik), lr)
        print(f"  the same, from the loops' speeds measured in alternating blocks of steps at batch {bs} (ours {ro:.0f} img/s, reference "
              f"{rr:.0f} img/s: {ro / rr:.2f}x) and the epochs each needs ({e} against {epochs}): {epochs / e * ro / rr:.2f}x less; "
              f"unlike the clock times above, run minutes apart, this does not move with the machine's speed between runs")

# ---------------------------------------------------------------- main
@call_parse
def main(n_train:int=2304, # training images (36 batches of 64)
         n_valid:int=320, # held-out images
         epochs:int=4, # epochs that each loop trains
         block:int=12, # steps per timed block; the two loops alternate blocks
         bs:int=64, # batch size
         lr:float=1e-3, # Adam's learning rate (both loops)
         workers:int=0, # DataLoader workers of the reference loop
         threads:int=None, # torch threads (default: torch's choice, one per core)
         channels_last:str='auto', # our loop: 'auto' (measure), 'on' or 'off'
         seed:int=0, # seed of the weights, the order and the draws of z
         precision:str='auto', # our loop: 'auto' (bf16 only where the CPU runs it natively and faster), 'fp32' or 'bf16'
         profile:bool=False, # also print a torch.profiler summary of our step
         ttq_epochs:int=5, # epochs of the tutorial's recipe that set the time-to-quality target (0: skip that part)
         ttq_bernoulli:bool=False, # time to quality also of our loop and schedule with the tutorial's Bernoulli likelihood (what the loop alone gains)
         compile:bool=False, # our loop with `torch.compile` (the model's forward; its compile time is reported)
         device:str='cpu', # where both loops run: 'cpu' or a GPU ('cuda', 'cuda:1')
         dataset:str='synthetic', # the faces: 'synthetic' (drawn here), or a prepared cache of 'celeba' or 'celebamask' faces at --root
         root:str=None): # the cache of --dataset celeba/celebamask (vae-faces-prep-celeba / vae-faces-prep)
    "Benchmark our training loop against a plain fp32 reference loop, interleaved in one run."
    global DEV
    if threads: torch.set_num_threads(threads)
    if precision not in ('auto', 'fp32', 'bf16'): sys.exit(f"error: --precision must be auto, fp32 or bf16; got {precision!r}")
    try: DEV = torch.device(device)
    except RuntimeError: sys.exit(f"error: --device must be cpu or a GPU such as cuda or cuda:1; got {device!r}")
    if DEV.type not in ('cpu', 'cuda'): sys.exit(f"error: --device must be cpu or a GPU such as cuda or cuda:1; got {device!r}")
    if DEV.type == 'cuda' and not torch.cuda.is_available(): sys.exit("error: --device cuda, but torch sees no GPU here; run on a machine with one, or use --device cpu")
    if epochs * (n_train // bs) < 2 * block:
        sys.exit(f"error: --epochs {epochs} of --n-train {n_train} at --bs {bs} make fewer than two blocks of --block {block} steps; "
                 f"train more epochs or images, or use smaller blocks")
    if dataset != 'synthetic':
        try: check_dataset(dataset, root)
        except UsageError as e: sys.exit(f"error: {e}")
    prec = resolve_precision(precision, DEV)
    meter = CPUMeter().start()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} cpus, "
          f"load average {os.getloadavg()[0]:.2f}; device {DEV}" + (f" ({torch.cuda.get_device_name(DEV)})" if DEV.type == 'cuda' else ''))
    if dataset == 'synthetic':
        n = n_train + n_valid
        faces = SyntheticFaces(n, seed=seed)
        idx = np.random.default_rng(seed).permutation(n)
        train, valid = faces.subset(np.sort(idx[:n_train])), faces.subset(np.sort(idx[n_train:]))
    else:   # the cache's own split: the first --n-train of its training faces, the first --n-valid of its validation faces
        tr, va = (get_dataset(dataset, root, split=s) for s in ('train', 'valid'))
        n_train, n_valid = min(n_train, len(tr)), min(n_valid, len(va))
        train, valid = tr.subset(range(n_train)), va.subset(range(n_valid))
    held = DEV if DEV.type == 'cuda' else None   # on a GPU our loop keeps the uint8 faces there
    tl, vl = ArrayLoader(train, bs, shuffle=True, drop_last=True, seed=seed, device=held), ArrayLoader(valid, 256)
    t = time.perf_counter(); files = write_pngs(train, Path(tempfile.mkdtemp(prefix='train_bench_')))
    print(f"data: {n_train} train / {n_valid} held-out {dataset} faces{f' from {root}' if root else ''}; {len(files)} PNGs written in "
          f"{time.perf_counter() - t:.1f}s")
    sampler = SameOrder(tl)
    # its own generator: a DataLoader otherwise draws its base seed from the global RNG, which also draws z
    rdl = DataLoader(PNGFaces(files), batch_size=bs, sampler=sampler, drop_last=True, num_workers=workers,
                     generator=torch.Generator())

    torch.manual_seed(seed); model = build_vae(VAEConfig())
    flops = step_flops(copy.deepcopy(model).train(), next(iter(tl)).cpu())
    pk = {p: peak_flops(dt) for p, dt in (('bf16', torch.bfloat16), ('fp32', torch.float32))}
    peak, peak32 = max(pk[prec].values()), max(pk['fp32'].values())
    print(f"model: VAEConfig() latent 128, {sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{flops / 1e9:.2f} GFLOP per training step of {bs} (conv/linear layers: forward, weight and input gradients)")
    n, nb = peak_sizes()
    print("peak GFLOP/s: " + "; ".join(f"{p} matmul ({n}x{n}) {v['matmul'] / 1e9:.0f}, 3x3 convolution (256 channels, batch {nb}) "
                                      f"{v['conv'] / 1e9:.0f}" for p, v in pk.items())
          + f"; bf16 in hardware: {'yes' if bf16_native(DEV) else 'no'}; our loop runs in {prec} (--precision {precision})")
    if channels_last == 'auto':
        r = {cl: max(ours_img_s(model, tl, cl, prec) for _ in range(2)) for cl in (False, True)}
        cl = r[True] > r[False]
        print(f"channels_last: {r[True]:.0f} img/s vs contiguous {r[False]:.0f} img/s -> {'on' if cl else 'off'}")
    else: cl = channels_last == 'on'
    if compile: plain = max(ours_img_s(model, tl, cl, prec) for _ in range(2))   # our loop, not compiled: what compiling must beat

    ours, ref = copy.deepcopy(model), copy.deepcopy(model).to(DEV)
    if compile: ours.compile()   # in place: the state dict keeps its keys; compiled at the first step of block 0
    stop = StopAfter(block)
    learn = Learner(ours.to(DEV), dict(train=tl), lr=lr, cbs=[*our_cbs(prec, cl), stop])
    ropt, rlosses = torch.optim.Adam(ref.parameters(), lr=lr), []
    def ref_batches():
        for e in range(epochs):
            sampler.epoch = e; yield from rdl
    rit, total = ref_batches(), epochs * len(tl)
    rng = dict(ours=rng_state(), ref=rng_state())  # the same draws of z for both
    secs = dict(ours=[], ref=[])
    def timed(name, f, n):
        set_rng_state(rng[name]); sync(); t = time.perf_counter(); f(n); sync(); dt = time.perf_counter() - t
        rng[name] = rng_state(); secs[name].append(dt); return n * bs / dt
    def ours_block(n): stop.n = n; learn.fit(epochs)
    def ref_block(n):
        ref.train()
        for _ in range(n): ref_step(ref, ropt, next(rit), rlosses)
    ips = dict(ours=[], ref=[])
    print(f"\n{total} steps each ({epochs} epochs), in alternating blocks of {block} steps (img/s):")
    for k, done in enumerate(range(0, total, block)):
        n = min(block, total - done)
        for name, f in ((('ours', ours_block), ('ref', ref_block)) if k % 2 == 0 else (('ref', ref_block), ('ours', ours_block))):
            ips[name].append(timed(name, f, n))
        print(f"  block {k:2d}: ours {ips['ours'][-1]:5.0f}  reference {ips['ref'][-1]:5.0f}  ratio {ips['ours'][-1] / ips['ref'][-1]:.2f}")
    assert learn.step == total == len(rlosses)
    t = time.perf_counter(); nb = sum(1 for _ in rdl); png = nb * bs / (time.perf_counter() - t)
    t = time.perf_counter(); nb = sum(1 for _ in tl); sync(); mem = nb * bs / (time.perf_counter() - t)

    o, r = (statistics.median(ips[k][1:]) for k in ('ours', 'ref'))  # block 0 carries one-off warm-up costs
    if compile:
        csecs, gain = secs['ours'][0] - block * bs / o, n_train / plain - n_train / o   # compile time; seconds saved per epoch
        print(f"torch.compile: block 0 took {secs['ours'][0]:.1f} s, {csecs:.1f} s more than a block at the median rate: the compile "
              f"time, paid once per run; compiled {o:.0f} img/s against {plain:.0f} img/s not compiled, "
              + (f"so it pays from {csecs / gain:.1f} epochs of {n_train} faces on" if gain > 0 else "so it never pays here"))
    ratios = [a / b for a, b in zip(ips['ours'][1:], ips['ref'][1:])]
    vo, vr = (heldout_elbo(m, vl, seed=seed)['nelbo'] for m in (ours, ref))
    print(f"\nthroughput (median over blocks 1+): ours {o:.0f} img/s, reference {r:.0f} img/s")
    print(f"ratio ours/reference: {statistics.median(ratios):.2f}x median of paired blocks "
          f"(best blocks: {max(ips['ours']):.0f} vs {max(ips['ref']):.0f} img/s = {max(ips['ours']) / max(ips['ref']):.2f}x)"
          + (f"; goal >= {2.5 if prec == 'bf16' else 2.0}x ({prec})" if DEV.type == 'cpu' else f" ({prec})"))
    print(f"held-out -ELBO after {epochs} epochs (fp32 eval, same z draws): ours {vo:.2f}, reference {vr:.2f} nats/image; "
          f"relative difference {100 * (vo - vr) / vr:+.2f}% (goal within 1%)")
    print(f"our loop: {flops * o / bs / 1e9:.0f} GFLOP/s = {100 * flops * o / bs / peak:.1f}% of peak {prec} "
          f"({100 * flops * max(ips['ours']) / bs / peak:.1f}% in its best block; goal >= 75% where the ratio's goal is out of reach); "
          f"reference: {flops * r / bs / 1e9:.0f} GFLOP/s = {100 * flops * r / bs / peak32:.1f}% of peak fp32")
    print(f"where the time goes: ours {1e3 * bs / o:.0f} ms/step, reference {1e3 * bs / r:.0f} ms/step, of which its PNG "
          f"DataLoader alone takes {1e3 * bs / png:.0f} ms ({png:.0f} img/s; our in-memory batches: {mem:.0f} img/s)")
    layer_profile(model, next(iter(tl)), prec, cl, peak, 1e3 * bs / o)
    if profile: profile_ours(model, tl, cl, prec)
    if ttq_epochs: time_to_quality(model, tl, vl, files, prec, cl, ttq_epochs, seed, workers, bernoulli=ttq_bernoulli)
    busy = meter.others()
    print(f"\nother processes kept {'?' if busy is None else f'{100 * busy:.0f}%'} of the {os.cpu_count()} cores busy "
          f"during this run; load average at the end {os.getloadavg()[0]:.2f}")
