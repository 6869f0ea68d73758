"""Variants of the demo's recipe for three epochs: held-out PSNR and sample scores of each, on any device.

The recipe chapter (nbs/12_recipe.ipynb) measures its recipes on a 2-core CPU, a few minutes apiece; on a GPU the same
three epochs take seconds, so this script sweeps more variants than the chapter can afford, to find what (if anything)
lifts the demo's held-out PSNR within its budget of epochs. Every variant starts from the demo's recipe (`DEMO_RECIPE`:
the σ-VAE, one-cycle at 4e-3, batch 32) and the demo's model (`demo_config()`), on the same 20,000 faces and seed.
The epochs are the budget, so the PSNR it reports is what the same recipe reaches on a CPU within noise of one run;
its seconds are the device's.

    python bench/recipe_sweep.py --device cuda --out nbs/results/12_sweep.json
"""
import json, platform, time, torch
from fastcore.script import call_parse
from vae_faces.datasets import get_dataset
from vae_faces.data import dataloaders
from vae_faces.model import VAEConfig, build_vae, fit_latent
from vae_faces.losses import recon_loss
from vae_faces.discretized import build_dlogistic_vae, dlogistic_loss
from vae_faces.train import OneCycleCB, fit, get_device
from vae_faces.results import DEMO_RECIPE, demo_config, psnr
from vae_faces.quality import factor_net, sample_scores

BASE = dict(bs=DEMO_RECIPE['bs'], lr=DEMO_RECIPE['lr'], likelihood=DEMO_RECIPE['likelihood'], beta=1.0, kl_warmup=0,
            warmup_pct=0.25, epochs=3, latent_dim=32, res_blocks=0)
VARIANTS = {"the demo's recipe": {}, 'β = 0.5': dict(beta=0.5), 'β = 0.25': dict(beta=0.25), 'batch 16': dict(bs=16),
            'batch 16, β = 0.5': dict(bs=16, beta=0.5), 'KL warm-up over the first epoch': dict(kl_warmup=500),
            'warm-up 10% of the steps': dict(warmup_pct=0.1), 'one residual block per size': dict(res_blocks=1),
            'two residual blocks per size': dict(res_blocks=2), 'one residual block, lr 6e-3': dict(res_blocks=1, lr=6e-3),
            'one residual block, β = 0.5': dict(res_blocks=1, beta=0.5), 'latent 16': dict(latent_dim=16),
            'discretized logistic': dict(likelihood='dlogistic'), 'β = 0.5, four epochs': dict(beta=0.5, epochs=4)}

def run(v:dict, dsets:dict, device, seed:int=0)->dict:
    "Train one variant; its seconds, held-out PSNR, validation KL and the scores of samples from the codes' Gaussian."
    r = {**BASE, **v}; dl = r['likelihood'] == 'dlogistic'
    cfg = VAEConfig(**{**demo_config().to_dict(), 'latent_dim': r['latent_dim'], 'res_blocks': r['res_blocks']})
    torch.manual_seed(seed); model = (build_dlogistic_vae if dl else build_vae)(cfg)
    t = time.perf_counter()
    h = fit(model, dataloaders(dsets, bs=r['bs'], seed=seed, device=device), r['epochs'], lr=r['lr'], beta=r['beta'],
            kl_warmup=r['kl_warmup'], device=device, progress=False, seed=seed, loss_func=dlogistic_loss() if dl else recon_loss(r['likelihood']),
            cbs=[OneCycleCB(pct=r['warmup_pct'])])
    if device.type == 'cuda': torch.cuda.synchronize()
    secs, model = time.perf_counter() - t, model.cpu().eval()
    test = dsets['test'][:]
    s = sample_scores(model, test, factor_net(), seed=seed, prior=fit_latent(model, dsets['train'][:4096]))
    return dict(recipe=r, secs=secs, test=psnr(model, test), kl=h['valid'][-1]['kl'], samples_fit=s)

@call_parse
def main(device:str=None, # 'cpu', 'cuda', 'mps' (default: the best available)
         out:str='recipe_sweep.json', # where the results go (JSON)
         only:str=None, # comma-separated names of variants to run (default: all)
         n:int=20_000, seed:int=0): # faces (80% train, 10% valid, 10% test); seed
    dev, names = get_device(device), only.split(',') if only else list(VARIANTS)
    if unknown := [k for k in names if k not in VARIANTS]: raise SystemExit(f"error: unknown variants {unknown}; known: {list(VARIANTS)}")
    dsets = {k: get_dataset('synthetic', split=k, n=n, seed=seed) for k in ('train', 'valid', 'test')}
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else platform.processor() or platform.machine()
    res = dict(device=name, torch=torch.__version__, n=n, seed=seed, runs={})
    for k in names:
        res['runs'][k] = r = run(VARIANTS[k], dsets, dev, seed)
        print(f"{k:34s} {r['secs']:6.1f} s  PSNR {r['test']['psnr']:.2f} ± {r['test']['psnr_se']:.2f} dB  KL {r['kl']:6.1f}  "
              f"FD {r['samples_fit']['fd']:.2f} ± {r['samples_fit']['fd_se']:.2f}  P {r['samples_fit']['precision']:.2f}  R {r['samples_fit']['recall']:.2f}", flush=True)
        with open(out, 'w') as f: json.dump(res, f, indent=1)
