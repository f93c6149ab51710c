"""Every checkpoint the project loads, local or by URL, is read weights-only: a file that would
run code is refused with one line naming it (the payload would create a file), and a good file
loads. No network: URLs are served from a pre-filled torch hub cache."""
import os

import pytest
import torch

import vsgt  # noqa: F401  (routes checkpoint loading through vsgt.utils.checkpoint)

URL = 'https://download.pytorch.org/models/resnet18-f37072fd.pth'


class RunsCode:
    """Pickles as a call of ``os.system``: loading it with ``weights_only=False`` runs it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


@pytest.fixture
def payload(tmp_path):
    """``(path, marker)``: a checkpoint whose loading would create ``marker``."""
    marker = tmp_path / 'PWNED'
    path = tmp_path / 'payload.pth'
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'meta': RunsCode(marker)}, path)
    # The control: unpickled without weights-only, the payload does create the file.
    return path, marker


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """A torch hub cache in ``tmp_path`` and a downloader that fails the test if called."""
    monkeypatch.setattr(torch.hub, '_hub_dir', str(tmp_path / 'hub'))
    (tmp_path / 'hub' / 'checkpoints').mkdir(parents=True)

    def no_network(url, *args, **kwargs):
        raise AssertionError(f'tried to download {url}')

    monkeypatch.setattr(torch.hub, 'download_url_to_file', no_network)
    return tmp_path / 'hub' / 'checkpoints'


def cache_payload(payload, hub_cache):
    path, marker = payload
    os.replace(path, hub_cache / os.path.basename(URL))
    return marker


def test_the_payload_runs_code_without_weights_only(payload):
    path, marker = payload
    torch.load(path, weights_only=False)
    assert marker.exists()


def test_load_from_a_local_file(payload):
    from mmengine.runner.checkpoint import _load_checkpoint
    path, marker = payload
    with pytest.raises(ValueError, match=f'{path}.*refused.*posix.system'):
        _load_checkpoint(str(path), map_location='cpu')
    assert not marker.exists()


def test_load_from_a_url(payload, hub_cache):
    from mmengine.runner.checkpoint import _load_checkpoint
    marker = cache_payload(payload, hub_cache)
    with pytest.raises(ValueError, match=f'{URL}.*refused.*posix.system'):
        _load_checkpoint(URL, map_location='cpu')
    assert not marker.exists()


def test_torch_hub_with_weights_only_false(payload, hub_cache):
    marker = cache_payload(payload, hub_cache)
    with pytest.raises(ValueError, match='refused'):
        torch.hub.load_state_dict_from_url(URL, weights_only=False)
    with pytest.raises(ValueError, match='refused'):
        torch.utils.model_zoo.load_url(URL)
    assert not marker.exists()


def test_torchvision_pretrained_weights(payload, hub_cache):
    from torchvision.models import ResNet18_Weights, resnet18
    marker = cache_payload(payload, hub_cache)
    with pytest.raises(ValueError, match='refused'):
        resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    assert not marker.exists()


def test_init_cfg_pretrained_and_mmaction_resnet_pretrained_url(payload, hub_cache):
    from mmaction.models import ResNet
    marker = cache_payload(payload, hub_cache)
    backbone = ResNet(depth=18, pretrained=URL)
    with pytest.raises(ValueError, match='refused'):
        backbone.init_weights()
    backbone = ResNet(depth=18, init_cfg=dict(type='Pretrained', checkpoint=URL))
    with pytest.raises(ValueError, match='refused'):
        backbone.init_weights()
    assert not marker.exists()


def test_a_good_checkpoint_by_url_loads(hub_cache):
    from mmaction.models import ResNet
    from torchvision.models import resnet18
    reference = resnet18()
    torch.save(reference.state_dict(), hub_cache / os.path.basename(URL))
    backbone = ResNet(depth=18, pretrained=URL)
    backbone.init_weights()
    assert torch.equal(backbone.conv1.conv.weight, reference.conv1.weight)


def test_a_truncated_checkpoint_names_the_file(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'w': torch.zeros(1000)}}, path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError, match=f'cannot load checkpoint {path}: truncated'):
        _load_checkpoint(str(path), map_location='cpu')
