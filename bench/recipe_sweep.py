"""Variants of the demo's recipe for three epochs: held-out PSNR and sample scores of each, on any device.

The recipe chapter (nbs/12_recipe.ipynb) measures its recipes on a 2-core CPU, a few minutes apiece; on a GPU the same
three epochs take seconds, so this script sweeps more variants than the chapter can afford, to find what (if anything)
lifts the demo's held-out PSNR within its budget of epochs. Every variant starts from the demo's run (`DEMO`, a
`TrainConfig`: the σ-VAE, one-cycle at 4e-3, batch 32, fp32, the demo's model), on the same 20,000 faces and seed, and
is trained by `train`.
The epochs are the budget, so the PSNR it reports is what the same recipe reaches on a CPU within noise of one run;
its seconds are the device's.

    python bench/recipe_sweep.py --device cuda --out nbs/results/12_sweep.json
"""
import json, platform, time, torch
from dataclasses import replace
from fastcore.script import call_parse
from vae_faces.model import fit_latent
from vae_faces.discretized import dlogistic_loss
from vae_faces.device import get_device
from vae_faces.train import TrainConfig, OneCycleCB, train
from vae_faces.results import DEMO, psnr
from vae_faces.quality import factor_net, sample_scores

BASE = dict(bs=DEMO.bs, lr=DEMO.lr, likelihood=DEMO.likelihood, beta=DEMO.beta, kl_warmup=DEMO.kl_warmup,
            warmup_pct=OneCycleCB().pct, epochs=DEMO.epochs, latent_dim=DEMO.model.latent_dim, res_blocks=DEMO.model.res_blocks)
VARIANTS = {"the demo's recipe": {}, 'β = 0.5': dict(beta=0.5), 'β = 0.25': dict(beta=0.25), 'batch 16': dict(bs=16),
            'batch 16, β = 0.5': dict(bs=16, beta=0.5), 'KL warm-up over the first epoch': dict(kl_warmup=500),
            'warm-up 10% of the steps': dict(warmup_pct=0.1), 'one residual block per size': dict(res_blocks=1),
            'two residual blocks per size': dict(res_blocks=2), 'one residual block, lr 6e-3': dict(res_blocks=1, lr=6e-3),
            'one residual block, β = 0.5': dict(res_blocks=1, beta=0.5), 'latent 16': dict(latent_dim=16),
            'discretized logistic': dict(likelihood='dlogistic'), 'β = 0.5, four epochs': dict(beta=0.5, epochs=4)}

def variant_config(v:dict, n:int=20_000, seed:int=0, device=None)->TrainConfig:
    "The run of variant `v`: `DEMO` with its changes (another one-cycle warm-up than the default: 'constant', `run` adds it)."
    r = {**BASE, **v}; dl = r['likelihood'] == 'dlogistic'
    return replace(DEMO, n=n, model=replace(DEMO.model, latent_dim=r['latent_dim'], res_blocks=r['res_blocks']),
                   builder='vae_faces.discretized.build_dlogistic_vae' if dl else DEMO.builder, likelihood=r['likelihood'],
                   beta=r['beta'], kl_warmup=r['kl_warmup'], lr=r['lr'], bs=r['bs'], epochs=r['epochs'], seed=seed,
                   schedule='onecycle' if r['warmup_pct'] == OneCycleCB().pct else 'constant', device=device)

def run(v:dict, cfg:TrainConfig, dsets:dict)->dict:
    "Train variant `v` (its run `cfg`); its seconds, held-out PSNR, validation KL and the scores of samples from the codes' Gaussian."
    r = {**BASE, **v}
    t = time.perf_counter()
    model, h = train(cfg, dsets, loss_func=dlogistic_loss() if cfg.likelihood == 'dlogistic' else None, progress=False,
                     cbs=[] if cfg.schedule == 'onecycle' else [OneCycleCB(pct=r['warmup_pct'])])
    if get_device(cfg.device).type == 'cuda': torch.cuda.synchronize()
    secs, model = time.perf_counter() - t, model.cpu().eval()
    test = dsets['test'][:]
    s = sample_scores(model, test, factor_net(), seed=cfg.seed, prior=fit_latent(model, dsets['train'][:4096]))
    return dict(recipe=r, secs=secs, test=psnr(model, test), kl=h['valid'][-1]['kl'], samples_fit=s)

@call_parse
def main(device:str=None, # 'cpu', 'cuda', 'mps' (default: the best available)
         out:str='recipe_sweep.json', # where the results go (JSON)
         only:str=None, # comma-separated names of variants to run (default: all)
         n:int=20_000, # synthetic faces (80% train, 10% valid, 10% test)
         seed:int=0): # seed of the faces, the weights, the shuffles and the draws
    dev, names = get_device(device), only.split(',') if only else list(VARIANTS)
    if unknown := [k for k in names if k not in VARIANTS]: raise SystemExit(f"error: unknown variants {unknown}; known: {list(VARIANTS)}")
    cfgs = {k: variant_config(VARIANTS[k], n, seed, str(dev)) for k in names}   # the sweep: one run per variant
    dsets = replace(DEMO, n=n, seed=seed).datasets()                            # the faces all of them train on
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else platform.processor() or platform.machine()
    res = dict(device=name, torch=torch.__version__, n=n, seed=seed, runs={})
    for k, cfg in cfgs.items():
        res['runs'][k] = r = run(VARIANTS[k], cfg, dsets)
        print(f"{k:34s} {r['secs']:6.1f} s  PSNR {r['test']['psnr']:.2f} ± {r['test']['psnr_se']:.2f} dB  KL {r['kl']:6.1f}  "
              f"FD {r['samples_fit']['fd']:.2f} ± {r['samples_fit']['fd_se']:.2f}  P {r['samples_fit']['precision']:.2f}  R {r['samples_fit']['recall']:.2f}", flush=True)
        with open(out, 'w') as f: json.dump(res, f, indent=1)
