/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Limits of the NVMe spec and of the kernel target that the config is checked against. */
#ifndef NVMET_LIMITS_H
#define NVMET_LIMITS_H

#define NVMF_NQN_MAX 223		/* NVMF_NQN_SIZE - 1 */
#define NVME_DISC_NQN "nqn.2014-08.org.nvmexpress.discovery"
#define NVMET_SN_MAX 20			/* NVMET_SN_MAX_SIZE */
#define NVMET_MN_MAX 40			/* NVMET_MN_MAX_SIZE */
#define NVMET_QID_MIN 1
#define NVMET_QID_MAX 128		/* NVMET_NR_QUEUES */
#define NVMET_NSID_MAX 0xffffffffu	/* NVME_NSID_ALL is reserved */
#define NVMET_RDMA_MAX_QUEUE_SIZE 128	/* NVME_RDMA_MAX_QUEUE_SIZE: nvmet-rdma reduces larger values to it */
#define NVMET_MIN_QUEUE_SIZE 16		/* nvmet core clamps param_max_queue_size to these */
#define NVMET_MAX_QUEUE_SIZE 1024
#define NVMET_RDMA_MAX_INLINE 16384	/* NVMET_RDMA_MAX_INLINE_DATA_SIZE on 4K-page systems */

#endif
