"""Action detection evaluation: frame-mAP, tube linking, video-mAP and temporal detection mAP."""
from .ap import ClassAP, greedy_true_positives, ranked_ap, ranked_pr, voc_ap
from .boxes import box_iou, paired_box_iou, temporal_iou, tube_iou, tube_pair_iou
from .formats import (VideoDetections, check_frame_detections, check_video_detections,
                      dump_pickle, write_ava_csv)
from .frame_map import FrameMatches, frame_ap, frame_matches
from .ground_truth import (GroundTruth, check_act_annotations, load_ground_truth,
                           read_act_pickle, read_key_frames)
from .linking import link_tubes
from .temporal import (ACTIVITYNET_TIOU_THRS, SUBMISSION_VERSION, THUMOS14_TIOU_THRS,
                       TALGroundTruth, TALPredictions, check_nms_cfg, class_detection_ap,
                       detection_ap, load_tal_ground_truth, match_ranked, nms_1d,
                       postprocess_detections, read_tal_submission, recall_at_avg_proposals,
                       segment_iou, short_action_ap, soft_nms_1d, write_tal_submission)
from .video_map import HIGH_IOU_THRS, video_ap

__all__ = [
    'ClassAP', 'greedy_true_positives', 'ranked_ap', 'ranked_pr', 'voc_ap', 'box_iou', 'paired_box_iou',
    'temporal_iou', 'tube_iou', 'tube_pair_iou', 'VideoDetections', 'check_frame_detections',
    'check_video_detections', 'dump_pickle', 'write_ava_csv', 'FrameMatches', 'frame_ap',
    'frame_matches', 'GroundTruth',
    'check_act_annotations', 'load_ground_truth', 'read_act_pickle', 'read_key_frames',
    'link_tubes', 'HIGH_IOU_THRS', 'video_ap', 'ACTIVITYNET_TIOU_THRS', 'SUBMISSION_VERSION',
    'THUMOS14_TIOU_THRS', 'TALGroundTruth', 'TALPredictions', 'check_nms_cfg',
    'class_detection_ap', 'detection_ap', 'load_tal_ground_truth', 'match_ranked', 'nms_1d',
    'postprocess_detections', 'read_tal_submission', 'recall_at_avg_proposals', 'segment_iou',
    'short_action_ap', 'soft_nms_1d', 'write_tal_submission'
]
