import { fusePlan } from './fuse.js';
import { img2imgPlan } from './img2img.js';
import { inpaintPlan } from './inpaint.js';
import type { PreparedRequest, TaskPlan } from './task-plan.js';
import { text2imagePlan } from './text2image.js';
import { variationPlan } from './variation.js';

/** The plan of a prepared request's task (the request's tag picks the task's module). */
export function taskPlan(request: PreparedRequest): TaskPlan {
  switch (request.task) {
    case 'text2image':
      return text2imagePlan(request);
    case 'variation':
      return variationPlan(request);
    case 'fuse':
      return fusePlan(request);
    case 'img2img':
      return img2imgPlan(request);
    case 'inpaint':
      return inpaintPlan(request);
  }
}
