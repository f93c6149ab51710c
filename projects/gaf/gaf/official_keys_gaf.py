"""Official GAF key -> our key for GAF's own modules (the attention heads on Mixed_4f and
Mixed_5c and the two CVAEs), on top of AFSD's detector and I3D keys.

The official ``train.py`` saves ``net.module.state_dict()`` of ``BDNet`` alone (one file per
epoch, no ``module.`` prefix, no CVAE): its GAF keys are ``deconv1.*`` / ``deconv2.*`` (the
space-collapsing Conv3d + GroupNorm of Mixed_5c / Mixed_4f) and ``Att_Head_5c.*`` /
``Att_Head_4f.*``. The CVAE (``CVAE``: ``cencoder`` / ``cdecoder`` for Mixed_5c,
``cencoder_832`` / ``cdecoder_832`` for Mixed_4f) maps too, for a CVAE state dict saved from
the official classes.
"""
import re
from typing import Dict, Optional

#: official prefix -> our prefix, attention (:class:`~.gaf.MapAttention` per map).
ATTENTION_PREFIXES: Dict[str, str] = {}
#: official prefix -> our prefix, CVAE (:class:`~.gaf.MapCVAE` per map).
CVAE_PREFIXES: Dict[str, str] = {}

for _map, _collapse, _head in (('mixed_5c', 'deconv1', 'Att_Head_5c'),
                               ('mixed_4f', 'deconv2', 'Att_Head_4f')):
    ATTENTION_PREFIXES.update({
        f'{_collapse}.0.': f'attention.{_map}.project.0.',  # Conv3d (1, H, W)
        f'{_collapse}.1.': f'attention.{_map}.project.1.',  # GroupNorm(32)
        f'{_head}.0.conv1d.': f'attention.{_map}.mix.0.',  # Unit1D k3
        f'{_head}.1.': f'attention.{_map}.mix.1.',  # GroupNorm(32)
        f'{_head}.3.': f'attention.{_map}.temporal.',  # Linear(C -> T)
    })

for _map, _enc, _dec, _conv in (('mixed_5c', 'cencoder', 'cdecoder', 'con1'),
                                ('mixed_4f', 'cencoder_832', 'cdecoder_832', 'con2')):
    CVAE_PREFIXES.update({
        f'{_enc}.{_conv}.0.': f'cvae.{_map}.collapse.0.',
        f'{_enc}.{_conv}.1.': f'cvae.{_map}.collapse.1.',
        f'{_enc}.fc1.': f'cvae.{_map}.encoder.0.',
        f'{_enc}.fc2.': f'cvae.{_map}.encoder.2.',
        f'{_enc}.fc3.': f'cvae.{_map}.encoder.4.',
        f'{_dec}.fc1.': f'cvae.{_map}.decoder.0.',
        f'{_dec}.fc2.': f'cvae.{_map}.decoder.2.',
        f'{_dec}.fc3.': f'cvae.{_map}.decoder.4.',
        f'{_dec}.deconv.0.': f'cvae.{_map}.expand.0.',
        f'{_dec}.deconv.1.': f'cvae.{_map}.expand.1.',
    })


def gaf_key(official: str) -> Optional[str]:
    """Our key of an official GAF attention or CVAE key (``module.`` prefix allowed), or None
    when the key is not one of GAF's own modules."""
    if official.startswith('module.'):
        official = official[len('module.'):]
    for table in (ATTENTION_PREFIXES, CVAE_PREFIXES):
        for prefix, ours in table.items():
            if official.startswith(prefix) and official[len(prefix):] in ('weight', 'bias'):
                return ours + official[len(prefix):]
    return None


#: The table as ``(regular expression over the official key, our key template)`` rules, the
#: form of the converter's ``RULES`` (attention first, then the CVAE).
GAF_RULES = [(re.escape(official) + r'(?P<p>weight|bias)', ours + '{p}')
             for table in (ATTENTION_PREFIXES, CVAE_PREFIXES)
             for official, ours in table.items()]
#: Our keys an official GAF checkpoint cannot fill: ``train.py`` does not save the CVAE (it is
#: needed to train, not to test; a converted model starts it from its initialisation).
NOT_IN_CHECKPOINT = ('cvae.', )
